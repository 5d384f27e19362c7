//! API errors shaped like the API server's `Status` responses.
//!
//! kubectl prints these as `Error from server (NotFound): pods "x" not found`;
//! [`ApiError`] carries the HTTP code, the `reason` and the message so that the
//! same text can be produced.

use thiserror::Error;

use super::object::Kind;

/// The `reason` of a failed request (metav1.StatusReason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// 404
    NotFound,
    /// 409 on create
    AlreadyExists,
    /// 409 on a stale resourceVersion
    Conflict,
    /// 422
    Invalid,
    /// 403
    Forbidden,
    /// 400
    BadRequest,
    /// 410
    Expired,
    /// 405
    MethodNotAllowed,
    /// 503
    ServiceUnavailable,
    /// 500
    InternalError,
    /// 500 with no reason: an error the server did not classify.
    Unknown,
}

impl Reason {
    /// The reason as the API server spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotFound => "NotFound",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Conflict => "Conflict",
            Reason::Invalid => "Invalid",
            Reason::Forbidden => "Forbidden",
            Reason::BadRequest => "BadRequest",
            Reason::Expired => "Expired",
            Reason::MethodNotAllowed => "MethodNotAllowed",
            Reason::ServiceUnavailable => "ServiceUnavailable",
            Reason::InternalError => "InternalError",
            Reason::Unknown => "",
        }
    }

    /// The HTTP status code.
    pub fn code(self) -> u16 {
        match self {
            Reason::NotFound => 404,
            Reason::AlreadyExists | Reason::Conflict => 409,
            Reason::Invalid => 422,
            Reason::Forbidden => 403,
            Reason::BadRequest => 400,
            Reason::Expired => 410,
            Reason::MethodNotAllowed => 405,
            Reason::ServiceUnavailable => 503,
            Reason::InternalError | Reason::Unknown => 500,
        }
    }
}

/// A failed API request.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct ApiError {
    /// Why it failed.
    pub reason: Reason,
    /// The human-readable message, worded as the API server words it.
    pub message: String,
}

impl ApiError {
    /// An error with a reason and message.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }

    /// `pods "x" not found`
    pub fn not_found(kind: Kind, name: &str) -> Self {
        Self::new(
            Reason::NotFound,
            format!("{} \"{name}\" not found", kind.qualified_plural()),
        )
    }

    /// `pods "x" already exists`
    pub fn already_exists(kind: Kind, name: &str) -> Self {
        Self::new(
            Reason::AlreadyExists,
            format!("{} \"{name}\" already exists", kind.qualified_plural()),
        )
    }

    /// The optimistic-concurrency failure.
    pub fn conflict(kind: Kind, name: &str) -> Self {
        Self::new(
            Reason::Conflict,
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                kind.qualified_plural()
            ),
        )
    }

    /// A validation failure: `Pod "x" is invalid: spec.containers: Required value`.
    pub fn invalid(kind: Kind, name: &str, causes: &[String]) -> Self {
        let detail = match causes {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let qualified = match kind.group() {
            "" => kind.name().to_owned(),
            group => format!("{}.{group}", kind.name()),
        };
        Self::new(
            Reason::Invalid,
            format!("{qualified} \"{name}\" is invalid: {detail}"),
        )
    }

    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        self.reason.code()
    }

    /// The line kubectl prints: `Error from server (NotFound): pods "x" not found`.
    pub fn kubectl_line(&self) -> String {
        if self.reason == Reason::Unknown {
            return format!("Error from server: {}", self.message);
        }
        format!(
            "Error from server ({}): {}",
            self.reason.as_str(),
            self.message
        )
    }
}

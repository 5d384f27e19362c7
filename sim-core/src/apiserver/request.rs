//! Requests to the API server and their responses.

use std::sync::Arc;

use crate::api::fields::FieldSelector;
use crate::api::labels::Selector;
use crate::api::{ApiError, Kind, Object, ObjectKey};

/// How dependents of a deleted object are treated (metav1.DeletionPropagation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// Delete the owner now; the garbage collector deletes dependents afterwards.
    Background,
    /// Keep the owner (with the `foregroundDeletion` finalizer) until its blocking dependents are gone.
    Foreground,
    /// Strip the owner reference from dependents, then delete the owner.
    Orphan,
}

/// Options of a delete request (metav1.DeleteOptions).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Seconds of graceful termination; None uses the object's default.
    pub grace_period_secs: Option<i64>,
    /// Dependents policy; None uses the kind's default (background).
    pub propagation: Option<Propagation>,
    /// Precondition on the object's uid.
    pub precondition_uid: Option<String>,
}

/// The content type of a PATCH (`kubectl patch --type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/strategic-merge-patch+json`.
    Strategic,
}

/// A request to the API server.
#[derive(Clone, Debug)]
pub enum Request {
    /// POST: create an object.
    Create(Object),
    /// PUT: replace an object (status changes are ignored for kinds with a status subresource).
    Update(Object),
    /// PUT on the status subresource: only `status` changes are taken.
    UpdateStatus(Object),
    /// PATCH with a JSON merge patch (RFC 7386).
    Patch {
        /// Which object.
        key: ObjectKey,
        /// The merge patch.
        patch: serde_json::Value,
    },
    /// PATCH with an explicit patch type (merge, JSON or strategic merge).
    PatchAs {
        /// Which object.
        key: ObjectKey,
        /// The patch document.
        patch: serde_json::Value,
        /// How to read it.
        patch_type: PatchType,
    },
    /// POST pods/eviction: a graceful delete of a pod (no PodDisruptionBudgets
    /// are modelled, so an eviction is always allowed).
    Evict {
        /// The pod's namespace.
        namespace: String,
        /// The pod's name.
        name: String,
        /// The DeleteOptions of the Eviction.
        options: DeleteOptions,
    },
    /// DELETE one object.
    Delete {
        /// Which object.
        key: ObjectKey,
        /// Grace period, propagation, preconditions.
        options: DeleteOptions,
    },
    /// DELETE a collection: every object of a kind in a namespace.
    DeleteCollection {
        /// Which kind.
        kind: Kind,
        /// Which namespace.
        namespace: String,
    },
    /// POST pods/binding: assign a pod to a node.
    Bind {
        /// The pod's namespace.
        namespace: String,
        /// The pod's name.
        name: String,
        /// The node.
        node: String,
    },
    /// PUT namespaces/finalize: replace a namespace's spec.finalizers.
    FinalizeNamespace {
        /// The namespace.
        name: String,
        /// The finalizers to keep.
        finalizers: Vec<String>,
    },
    /// GET one object.
    Get(ObjectKey),
    /// LIST objects of a kind.
    List {
        /// Which kind.
        kind: Kind,
        /// One namespace, or all when None.
        namespace: Option<String>,
        /// Label selector.
        labels: Selector,
        /// Field selector.
        fields: FieldSelector,
    },
}

impl Request {
    /// The verb, as the trace and audit logs name it.
    pub fn verb(&self) -> &'static str {
        match self {
            Request::Create(_) => "create",
            Request::Update(_) => "update",
            Request::UpdateStatus(_) => "update-status",
            Request::Patch { .. } | Request::PatchAs { .. } => "patch",
            Request::Evict { .. } => "evict",
            Request::Delete { .. } => "delete",
            Request::DeleteCollection { .. } => "deletecollection",
            Request::Bind { .. } => "bind",
            Request::FinalizeNamespace { .. } => "finalize",
            Request::Get(_) => "get",
            Request::List { .. } => "list",
        }
    }

    /// True for requests that only read.
    pub fn is_read(&self) -> bool {
        matches!(self, Request::Get(_) | Request::List { .. })
    }
}

/// A successful response.
#[derive(Clone, Debug)]
pub enum Response {
    /// The object as stored after the request (or as read).
    Object(Arc<Object>),
    /// A list and the revision it was read at.
    List {
        /// The items, ordered by namespace and name.
        items: Vec<Arc<Object>>,
        /// The store revision of the read.
        revision: u64,
    },
    /// A deletion: the object's last state, and whether it is gone (false: it
    /// now only carries a deletionTimestamp, awaiting finalizers or graceful termination).
    Deleted {
        /// The object's last state.
        object: Arc<Object>,
        /// True when the object was removed from the store.
        gone: bool,
    },
    /// A collection deletion: how many objects remain (terminating gracefully).
    Remaining(usize),
}

impl Response {
    /// The object of an `Object` or `Deleted` response.
    pub fn object(&self) -> Option<&Arc<Object>> {
        match self {
            Response::Object(o) | Response::Deleted { object: o, .. } => Some(o),
            _ => None,
        }
    }
}

/// The outcome of a request.
pub type ApiResult = Result<Response, ApiError>;

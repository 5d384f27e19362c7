//! Resolving kubectl's resource arguments: `TYPE [NAME ...]`, `TYPE/NAME ...`
//! and `TYPE1,TYPE2`, with kubectl's error for an unknown type.

use sim_core::api::Kind;

/// One resolved target: a kind and optionally a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    /// The kind.
    pub kind: Kind,
    /// The name, when one was given.
    pub name: Option<String>,
}

/// Resource arguments kubectl refuses, in kubectl's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ResourceError {
    /// No argument at all.
    #[error("error: You must specify the type of resource to get.")]
    NoType,
    /// A type kubesim does not know.
    #[error("error: the server doesn't have a resource type \"{0}\"")]
    UnknownType(String),
    /// `TYPE/` without a name, or a bare word among `TYPE/NAME` arguments.
    #[error("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'): {0}")]
    NotTypeSlashName(String),
    /// `TYPE TYPE/NAME`.
    #[error("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>')")]
    TypeAndTypeSlashName,
}

fn kind_of(s: &str) -> Result<Kind, ResourceError> {
    Kind::from_resource_name(s).ok_or_else(|| ResourceError::UnknownType(s.to_owned()))
}

/// Resolves the positional resource arguments of get, describe and delete.
pub(crate) fn resolve(args: &[String]) -> Result<Vec<Target>, ResourceError> {
    let Some(first) = args.first() else {
        return Err(ResourceError::NoType);
    };
    if first.contains('/') {
        return args
            .iter()
            .map(|a| match a.split_once('/') {
                Some((t, n)) if !n.is_empty() => Ok(Target {
                    kind: kind_of(t)?,
                    name: Some(n.to_owned()),
                }),
                _ => Err(ResourceError::NotTypeSlashName(a.clone())),
            })
            .collect();
    }
    let kinds: Vec<Kind> = first.split(',').map(kind_of).collect::<Result<_, _>>()?;
    let names = &args[1..];
    if names.iter().any(|n| n.contains('/')) {
        return Err(ResourceError::TypeAndTypeSlashName);
    }
    if names.is_empty() {
        return Ok(kinds
            .into_iter()
            .map(|kind| Target { kind, name: None })
            .collect());
    }
    Ok(kinds
        .into_iter()
        .flat_map(|kind| {
            names.iter().map(move |n| Target {
                kind,
                name: Some(n.clone()),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            resolve(&["pods".into()]).unwrap(),
            vec![Target {
                kind: Kind::Pod,
                name: None
            }]
        );
        assert_eq!(
            resolve(&["po".into(), "a".into()]).unwrap(),
            vec![Target {
                kind: Kind::Pod,
                name: Some("a".into())
            }]
        );
        assert_eq!(resolve(&["pod/a".into(), "ns/b".into()]).unwrap().len(), 2);
        assert_eq!(resolve(&["po,svc".into()]).unwrap().len(), 2);
        assert_eq!(
            resolve(&["podz".into()]).unwrap_err().to_string(),
            "error: the server doesn't have a resource type \"podz\""
        );
    }
}

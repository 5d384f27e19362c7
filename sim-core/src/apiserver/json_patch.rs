//! JSON patch (RFC 6902), as `kubectl patch --type json` sends it: a list of
//! `add`, `remove`, `replace`, `move`, `copy` and `test` operations on JSON
//! pointers (RFC 6901), applied in order and all-or-nothing.

use serde_json::Value;

/// Why a JSON patch could not be applied (the API server answers 422 with it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct JsonPatchError(pub String);

fn err(s: impl Into<String>) -> JsonPatchError {
    JsonPatchError(s.into())
}

/// Splits a JSON pointer into unescaped tokens (`~1` is `/`, `~0` is `~`).
fn tokens(pointer: &str) -> Result<Vec<String>, JsonPatchError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(err(format!("invalid JSON pointer: {pointer:?}")));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn array_index(token: &str, len: usize, allow_end: bool) -> Result<usize, JsonPatchError> {
    if allow_end && token == "-" {
        return Ok(len);
    }
    let i: usize = token
        .parse()
        .map_err(|_| err(format!("invalid array index: {token}")))?;
    if i > len || (!allow_end && i == len) {
        return Err(err(format!("array index out of bounds: {i}")));
    }
    Ok(i)
}

/// The parent container of `path` and the last token.
fn parent<'a>(doc: &'a mut Value, path: &str) -> Result<(&'a mut Value, String), JsonPatchError> {
    let mut toks = tokens(path)?;
    let Some(last) = toks.pop() else {
        return Err(err("the root cannot be the target of this operation"));
    };
    let mut cur = doc;
    for t in &toks {
        cur = match cur {
            Value::Object(m) => m
                .get_mut(t)
                .ok_or_else(|| err(format!("doc is missing path: \"{path}\"")))?,
            Value::Array(a) => {
                let i = array_index(t, a.len(), false)?;
                &mut a[i]
            }
            _ => return Err(err(format!("doc is missing path: \"{path}\""))),
        };
    }
    Ok((cur, last))
}

fn get<'a>(doc: &'a Value, path: &str) -> Result<&'a Value, JsonPatchError> {
    let toks = tokens(path)?;
    let mut cur = doc;
    for t in &toks {
        cur = match cur {
            Value::Object(m) => m.get(t),
            Value::Array(a) => array_index(t, a.len(), false).ok().map(|i| &a[i]),
            _ => None,
        }
        .ok_or_else(|| err(format!("doc is missing path: \"{path}\"")))?;
    }
    Ok(cur)
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), JsonPatchError> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (p, last) = parent(doc, path)?;
    match p {
        Value::Object(m) => {
            m.insert(last, value);
        }
        Value::Array(a) => {
            let i = array_index(&last, a.len(), true)?;
            a.insert(i, value);
        }
        _ => return Err(err(format!("doc is missing path: \"{path}\""))),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, JsonPatchError> {
    let (p, last) = parent(doc, path)?;
    match p {
        Value::Object(m) => m.remove(&last).ok_or_else(|| {
            err(format!(
                "unable to remove nonexistent key: {last}: missing value"
            ))
        }),
        Value::Array(a) => {
            let i = array_index(&last, a.len(), false)?;
            Ok(a.remove(i))
        }
        _ => Err(err(format!("doc is missing path: \"{path}\""))),
    }
}

fn field<'a>(op: &'a Value, name: &str, i: usize) -> Result<&'a Value, JsonPatchError> {
    op.get(name)
        .ok_or_else(|| err(format!("operation {i} is missing the \"{name}\" field")))
}

fn path_of<'a>(op: &'a Value, name: &str, i: usize) -> Result<&'a str, JsonPatchError> {
    field(op, name, i)?
        .as_str()
        .ok_or_else(|| err(format!("operation {i}: \"{name}\" must be a string")))
}

/// Applies the operations of `patch` (a JSON array) to a copy of `doc`; on
/// success `doc` is replaced, on failure it is left untouched.
pub(crate) fn apply(doc: &mut Value, patch: &Value) -> Result<(), JsonPatchError> {
    let Value::Array(ops) = patch else {
        return Err(err(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        ));
    };
    let mut work = doc.clone();
    for (i, op) in ops.iter().enumerate() {
        let kind = field(op, "op", i)?.as_str().unwrap_or_default();
        let path = path_of(op, "path", i)?;
        match kind {
            "add" => add(&mut work, path, field(op, "value", i)?.clone())?,
            "remove" => {
                remove(&mut work, path)?;
            }
            "replace" => {
                let value = field(op, "value", i)?.clone();
                if path.is_empty() {
                    work = value;
                } else {
                    get(&work, path).map_err(|_| {
                        err(format!(
                            "replace operation does not apply: doc is missing key: {path}: missing value"
                        ))
                    })?;
                    remove(&mut work, path)?;
                    add(&mut work, path, value)?;
                }
            }
            "move" => {
                let from = path_of(op, "from", i)?;
                if path.starts_with(&format!("{from}/")) {
                    return Err(err(format!("cannot move {from} into its own child {path}")));
                }
                let v = remove(&mut work, from)?;
                add(&mut work, path, v)?;
            }
            "copy" => {
                let from = path_of(op, "from", i)?;
                let v = get(&work, from)?.clone();
                add(&mut work, path, v)?;
            }
            "test" => {
                let expected = field(op, "value", i)?;
                let actual = get(&work, path)?;
                if actual != expected {
                    return Err(err(format!("testing value {path} failed: test failed")));
                }
            }
            other => return Err(err(format!("Unexpected kind: {other}"))),
        }
    }
    *doc = work;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(doc: Value, patch: Value) -> Result<Value, JsonPatchError> {
        let mut d = doc;
        apply(&mut d, &patch).map(|()| d)
    }

    #[test]
    fn rfc6902_appendix_a() {
        // A.1 adding an object member
        assert_eq!(
            run(
                json!({"foo": "bar"}),
                json!([{"op": "add", "path": "/baz", "value": "qux"}])
            )
            .unwrap(),
            json!({"baz": "qux", "foo": "bar"})
        );
        // A.2 adding an array element
        assert_eq!(
            run(
                json!({"foo": ["bar", "baz"]}),
                json!([{"op": "add", "path": "/foo/1", "value": "qux"}])
            )
            .unwrap(),
            json!({"foo": ["bar", "qux", "baz"]})
        );
        // A.3 removing an object member
        assert_eq!(
            run(
                json!({"baz": "qux", "foo": "bar"}),
                json!([{"op": "remove", "path": "/baz"}])
            )
            .unwrap(),
            json!({"foo": "bar"})
        );
        // A.4 removing an array element
        assert_eq!(
            run(
                json!({"foo": ["bar", "qux", "baz"]}),
                json!([{"op": "remove", "path": "/foo/1"}])
            )
            .unwrap(),
            json!({"foo": ["bar", "baz"]})
        );
        // A.5 replacing a value
        assert_eq!(
            run(
                json!({"baz": "qux", "foo": "bar"}),
                json!([{"op": "replace", "path": "/baz", "value": "boo"}])
            )
            .unwrap(),
            json!({"baz": "boo", "foo": "bar"})
        );
        // A.6 moving a value
        assert_eq!(
            run(
                json!({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}}),
                json!([{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}])
            )
            .unwrap(),
            json!({"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}})
        );
        // A.7 moving an array element
        assert_eq!(
            run(
                json!({"foo": ["all", "grass", "cows", "eat"]}),
                json!([{"op": "move", "from": "/foo/1", "path": "/foo/3"}])
            )
            .unwrap(),
            json!({"foo": ["all", "cows", "eat", "grass"]})
        );
        // A.8 / A.9 testing
        assert!(run(
            json!({"baz": "qux"}),
            json!([{"op": "test", "path": "/baz", "value": "qux"}])
        )
        .is_ok());
        assert!(run(
            json!({"baz": "qux"}),
            json!([{"op": "test", "path": "/baz", "value": "bar"}])
        )
        .is_err());
        // A.10 adding a nested member object
        assert_eq!(
            run(
                json!({"foo": "bar"}),
                json!([{"op": "add", "path": "/child", "value": {"grandchild": {}}}])
            )
            .unwrap(),
            json!({"foo": "bar", "child": {"grandchild": {}}})
        );
        // A.12 adding to a nonexistent target
        assert!(run(
            json!({"foo": "bar"}),
            json!([{"op": "add", "path": "/baz/bat", "value": "qux"}])
        )
        .is_err());
        // A.14 ~ escape ordering
        assert_eq!(
            run(json!({"/": 9, "~1": 10}), json!([{"op": "test", "path": "/~01", "value": 10}, {"op": "copy", "from": "/~1", "path": "/x"}])).unwrap(),
            json!({"/": 9, "~1": 10, "x": 9})
        );
        // A.16 adding an array value, and "-" appends
        assert_eq!(
            run(
                json!({"foo": ["bar"]}),
                json!([{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}])
            )
            .unwrap(),
            json!({"foo": ["bar", ["abc", "def"]]})
        );
    }

    #[test]
    fn all_or_nothing() {
        let mut d = json!({"a": 1});
        let e = apply(
            &mut d,
            &json!([{"op": "replace", "path": "/a", "value": 2}, {"op": "remove", "path": "/zz"}]),
        );
        assert!(e.is_err());
        assert_eq!(d, json!({"a": 1}));
        assert!(apply(&mut d, &json!({"op": "add"})).is_err());
    }

    #[test]
    fn kubernetes_docs_replicas_and_containers() {
        // kubectl patch deployment ... --type json -p '[{"op":"replace","path":"/spec/replicas","value":3}]'
        let d =
            json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a"}]}}}});
        let out = run(
            d,
            json!([
                {"op": "replace", "path": "/spec/replicas", "value": 3},
                {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "b"}}
            ]),
        )
        .unwrap();
        assert_eq!(out["spec"]["replicas"], 3);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][1]["name"],
            "b"
        );
    }
}

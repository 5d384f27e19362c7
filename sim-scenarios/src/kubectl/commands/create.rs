//! `kubectl create deployment` and the other generators of `kubectl create`.

use sim_core::cluster::Cluster;

use crate::files::{self, Entry, FileError};
use crate::kubectl::client::{kind_ref, CLIENT};
use crate::kubectl::grammar::{
    Command, CreateArgs, CreateWhat, KubectlCli, SecretWhat, ServiceWhat,
};
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::{Prepared, SourceFile};
use sim_core::api::Kind;
use sim_core::apiserver::Request;
use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, ContainerPort, PodSpec, PodTemplateSpec, Secret, Service, ServicePort,
    ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::ByteString;
use sim_core::api::Object;

/// `kubectl create deployment` (pkg/cmd/create/create_deployment.go).
pub(crate) fn create_deployment(
    name: &str,
    ns: &str,
    images: &[String],
    replicas: i32,
    port: i32,
    command: &[String],
    rng: &mut impl rand::Rng,
) -> Object {
    let labels: BTreeMap<String, String> = [("app".to_owned(), name.to_owned())].into();
    let containers = images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            let base = image.rsplit('/').next().unwrap_or(image);
            let base = base.split(['@', ':']).next().unwrap_or(base);
            // sanitizeAndUniquify: `_` and `.` become `-` plus a random suffix.
            let name = if base.contains(['_', '.']) {
                format!(
                    "{}-{}",
                    base.replace(['_', '.'], "-"),
                    sim_core::api::meta::random_suffix(rng, 5)
                )
            } else {
                base.to_owned()
            };
            Container {
                name,
                image: Some(image.clone()),
                ports: (i == 0 && port >= 0).then(|| {
                    vec![ContainerPort {
                        container_port: port,
                        ..Default::default()
                    }]
                }),
                command: (!command.is_empty()).then(|| command.to_vec()),
                ..Default::default()
            }
        })
        .collect();
    Object::from(Deployment {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(ns.into()),
            labels: Some(labels.clone()),
            ..Default::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(labels.clone()),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers,
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        status: None,
    })
}

/// The paths named by `--from-file` and `--from-env-file` of a command.
fn source_paths(cli: &KubectlCli) -> Vec<String> {
    let (files, envs) = match &cli.command {
        Command::Create(CreateArgs {
            what:
                Some(CreateWhat::Configmap {
                    from_file,
                    from_env_file,
                    ..
                }),
            ..
        })
        | Command::Create(CreateArgs {
            what:
                Some(CreateWhat::Secret {
                    what:
                        SecretWhat::Generic {
                            from_file,
                            from_env_file,
                            ..
                        },
                }),
            ..
        }) => (from_file.clone(), from_env_file.clone()),
        _ => return Vec::new(),
    };
    files
        .iter()
        .map(|f| f.split_once('=').map_or(f.as_str(), |(_, p)| p).to_owned())
        .chain(envs)
        .collect()
}

/// A `--from-file` or `--from-env-file` source that cannot be read, in
/// kubectl's words.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    /// The path does not exist.
    #[error("error: error reading {0}: no such file or directory")]
    Missing(String),
    /// A FIFO, a socket or a device, which kubesim does not read.
    #[error("error: error reading {path}: {source}; expected a file or a directory")]
    Special {
        /// The path as written.
        path: String,
        /// What it is.
        source: FileError,
    },
    /// A file could not be read.
    #[error("error: error reading {path}: {source}")]
    Read {
        /// The path as written.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A directory could not be listed.
    #[error("error: error listing files in {path}: {source}")]
    List {
        /// The path as written.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// Reads the files and directories of `--from-file` / `--from-env-file`
/// relative to the scenario's directory (kubectl's error when one is missing).
pub(crate) fn load_sources(
    cli: &KubectlCli,
    base: &Path,
) -> Result<BTreeMap<String, SourceFile>, SourceError> {
    let mut out = BTreeMap::new();
    for p in source_paths(cli) {
        let full = base.join(&p);
        let entry = files::entry(&full).map_err(|e| match e {
            FileError::Missing => SourceError::Missing(p.clone()),
            source => SourceError::Special {
                path: p.clone(),
                source,
            },
        })?;
        let read = |f: &Path| {
            files::read_bytes(f).map_err(|e| match e {
                FileError::Os(source) => SourceError::Read {
                    path: p.clone(),
                    source,
                },
                source => SourceError::Special {
                    path: p.clone(),
                    source,
                },
            })
        };
        let file = if entry == Entry::Directory {
            let mut entries = Vec::new();
            let mut names: Vec<_> = std::fs::read_dir(&full)
                .map_err(|source| SourceError::List {
                    path: p.clone(),
                    source,
                })?
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for n in names {
                entries.push((n.clone(), read(&full.join(&n))?));
            }
            SourceFile {
                is_dir: true,
                entries,
            }
        } else {
            let name = full
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            SourceFile {
                is_dir: false,
                entries: vec![(name, read(&full)?)],
            }
        };
        out.insert(p, file);
    }
    Ok(out)
}

/// Standard base64 (RFC 4648, with padding).
pub(crate) fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// `validation.IsConfigMapKey`.
fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k != "."
        && k != ".."
        && !k.starts_with("..")
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

const KEY_RULE: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/// Why `kubectl create configmap|secret|service` cannot build its object, in
/// kubectl's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum CreateError {
    /// `--from-env-file` with `--from-file` or `--from-literal`.
    #[error("error: from-env-file cannot be combined with from-file or from-literal")]
    EnvFileCombined,
    /// A Secret key that `validation.IsConfigMapKey` refuses.
    #[error("error: \"{0}\" is not valid key name for a Secret {KEY_RULE}")]
    SecretKey(String),
    /// A ConfigMap key that `validation.IsConfigMapKey` refuses.
    #[error("error: \"{0}\" is not a valid key name for a ConfigMap: {KEY_RULE}")]
    ConfigMapKey(String),
    /// A Secret key given twice.
    #[error("error: cannot add key {0}, another key by that name already exists")]
    SecretDuplicate(String),
    /// A ConfigMap key given twice (`map` is Data or BinaryData).
    #[error("error: cannot add key \"{key}\", another key by that name already exists in {map} for ConfigMap \"{name}\"")]
    ConfigMapDuplicate {
        /// The key.
        key: String,
        /// `Data` or `BinaryData`.
        map: &'static str,
        /// The ConfigMap.
        name: String,
    },
    /// `--from-literal` without `=`.
    #[error("error: invalid literal source {0}, expected key=value")]
    Literal(String),
    /// `--from-file =PATH`.
    #[error("error: key name for file path {0} missing")]
    FileKeyMissing(String),
    /// A source that was not read at validation time.
    #[error("error: error reading {0}: no such file or directory")]
    Missing(String),
    /// `--from-file KEY=DIR`.
    #[error("error: cannot give a key name for a directory path")]
    KeyForDirectory,
    /// `--from-env-file DIR` (`what` is secret or config).
    #[error("error: env {0} file cannot be a directory")]
    EnvFileDirectory(&'static str),
    /// An env-file line whose name is not a valid environment variable name.
    #[error("error: \"{0}\" is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')")]
    EnvName(String),
    /// `create service` without `--tcp`.
    #[error("error: at least one tcp port specifier must be provided")]
    NoTcpPort,
    /// A `--tcp` port that is not an integer.
    #[error("error: strconv.Atoi: parsing \"{0}\": invalid syntax")]
    PortSyntax(String),
    /// A `--tcp` port out of range.
    #[error("error: must be between 1 and 65535, inclusive")]
    PortRange,
    /// `create secret docker-registry` without credentials.
    #[error("error: either --from-file or the combination of --docker-username, --docker-password and --docker-server is required")]
    DockerCredentials,
    /// No subcommand.
    #[error("error: nothing to create")]
    Nothing,
}

/// The key/value pairs of the literal, file and env-file sources, in
/// kubectl's order (literals, then files, then env files), refusing duplicates.
fn collect_sources(
    cmd: &Prepared,
    literals: &[String],
    files: &[String],
    env_files: &[String],
    secret: bool,
    name: &str,
) -> Result<Vec<(String, Vec<u8>)>, CreateError> {
    if !env_files.is_empty() && (!files.is_empty() || !literals.is_empty()) {
        return Err(CreateError::EnvFileCombined);
    }
    let mut data: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |k: String, v: Vec<u8>| {
        if !valid_key(&k) {
            return Err(if secret {
                CreateError::SecretKey(k)
            } else {
                CreateError::ConfigMapKey(k)
            });
        }
        if data.iter().any(|(x, _)| *x == k) {
            return Err(if secret {
                CreateError::SecretDuplicate(k)
            } else {
                let map = if std::str::from_utf8(&v).is_ok() {
                    "Data"
                } else {
                    "BinaryData"
                };
                CreateError::ConfigMapDuplicate {
                    key: k,
                    map,
                    name: name.to_owned(),
                }
            });
        }
        data.push((k, v));
        Ok(())
    };
    let add_literals = |add: &mut dyn FnMut(String, Vec<u8>) -> Result<(), CreateError>| {
        for l in literals {
            let Some((k, v)) = l.split_once('=') else {
                return Err(CreateError::Literal(l.clone()));
            };
            add(k.to_owned(), v.as_bytes().to_vec())?;
        }
        Ok(())
    };
    // kubectl reads literals first for a Secret, files first for a ConfigMap.
    if secret {
        add_literals(&mut add)?;
    }
    for f in files {
        let (key, path) = match f.split_once('=') {
            Some((k, p)) => {
                if k.is_empty() {
                    return Err(CreateError::FileKeyMissing(p.to_owned()));
                }
                (Some(k), p)
            }
            None => (None, f.as_str()),
        };
        let Some(src) = cmd.files.get(path) else {
            return Err(CreateError::Missing(path.to_owned()));
        };
        if src.is_dir {
            if key.is_some() {
                return Err(CreateError::KeyForDirectory);
            }
            for (n, content) in &src.entries {
                add(n.clone(), content.clone())?;
            }
        } else if let Some((n, content)) = src.entries.first() {
            add(
                key.map_or_else(|| n.clone(), str::to_owned),
                content.clone(),
            )?;
        }
    }
    if !secret {
        add_literals(&mut add)?;
    }
    for e in env_files {
        add_env_file(cmd, e, secret, &mut add)?;
    }
    Ok(data)
}

/// Adds the `KEY=value` lines of an env file (`#` comments and blank lines
/// skipped, a byte-order mark at the start ignored), as kubectl reads them.
fn add_env_file(
    cmd: &Prepared,
    e: &String,
    secret: bool,
    add: &mut dyn FnMut(String, Vec<u8>) -> Result<(), CreateError>,
) -> Result<(), CreateError> {
    let Some(src) = cmd.files.get(e) else {
        return Err(CreateError::Missing(e.clone()));
    };
    if src.is_dir {
        return Err(CreateError::EnvFileDirectory(if secret {
            "secret"
        } else {
            "config"
        }));
    }
    let text = src
        .entries
        .first()
        .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
        .unwrap_or_default();
    for (i, line) in text.lines().enumerate() {
        let line = if i == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let line = line.trim_start().trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        let env_name = !k.is_empty()
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !env_name {
            return Err(CreateError::EnvName(k.to_owned()));
        }
        add(k.to_owned(), v.as_bytes().to_vec())?;
    }
    Ok(())
}

/// `kubectl create service` (pkg/cmd/create/create_service.go).
fn service(
    name: &str,
    ns: &str,
    type_: &str,
    tcp: &[String],
    node_port: i32,
    cluster_ip: Option<&str>,
    external_name: Option<&str>,
) -> Result<Object, CreateError> {
    if type_ != "ExternalName" && tcp.is_empty() {
        return Err(CreateError::NoTcpPort);
    }
    let mut ports = Vec::new();
    for t in tcp {
        let mut parts = t.split(':');
        let port: i32 = parts
            .next()
            .unwrap_or_default()
            .parse()
            .map_err(|_| CreateError::PortSyntax(t.clone()))?;
        if !(1..=65535).contains(&port) {
            return Err(CreateError::PortRange);
        }
        let target = match parts.next() {
            None => IntOrString::Int(port),
            Some(tp) => tp
                .parse::<i32>()
                .map_or_else(|_| IntOrString::String(tp.to_owned()), IntOrString::Int),
        };
        ports.push(ServicePort {
            name: Some(t.replace(':', "-")),
            port,
            target_port: Some(target),
            protocol: Some("TCP".into()),
            node_port: (node_port != 0).then_some(node_port),
            ..Default::default()
        });
    }
    let labels: BTreeMap<String, String> = [("app".to_owned(), name.to_owned())].into();
    Ok(Object::from(Service {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(ns.into()),
            labels: Some(labels.clone()),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some(type_.into()),
            selector: Some(labels),
            ports: (!ports.is_empty()).then_some(ports),
            external_name: external_name.map(str::to_owned),
            cluster_ip: cluster_ip.map(str::to_owned),
            ..Default::default()
        }),
        status: None,
    }))
}

/// The JSON of a `kubernetes.io/dockerconfigjson` secret
/// (create_secret_docker.go: handleDockerCfgJSONContent), as Go's
/// json.Marshal writes it.
pub(crate) fn docker_config_json(server: &str, user: &str, password: &str, email: &str) -> Vec<u8> {
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let mut fields = Vec::new();
    for (k, v) in [("username", user), ("password", password), ("email", email)] {
        if !v.is_empty() {
            fields.push(format!("\"{k}\":{}", q(v)));
        }
    }
    fields.push(format!(
        "\"auth\":{}",
        q(&base64(format!("{user}:{password}").as_bytes()))
    ));
    // Go escapes <, > and & in strings.
    format!("{{\"auths\":{{{}:{{{}}}}}}}", q(server), fields.join(","))
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .into_bytes()
}

fn generated_object(cmd: &Prepared, ns: &str) -> Result<Object, CreateError> {
    let meta = |name: &str| ObjectMeta {
        name: Some(name.into()),
        namespace: Some(ns.into()),
        ..Default::default()
    };
    let Command::Create(CreateArgs {
        what: Some(what), ..
    }) = &cmd.cli.command
    else {
        return Err(CreateError::Nothing);
    };
    match what {
        CreateWhat::Configmap {
            name,
            from_literal,
            from_file,
            from_env_file,
        } => {
            let pairs = collect_sources(cmd, from_literal, from_file, from_env_file, false, name)?;
            let mut data = BTreeMap::new();
            let mut binary = BTreeMap::new();
            for (k, v) in pairs {
                match String::from_utf8(v) {
                    Ok(s) => {
                        data.insert(k, s);
                    }
                    Err(e) => {
                        binary.insert(k, ByteString(e.into_bytes()));
                    }
                }
            }
            Ok(Object::from(ConfigMap {
                metadata: meta(name),
                data: (!data.is_empty()).then_some(data),
                binary_data: (!binary.is_empty()).then_some(binary),
                ..Default::default()
            }))
        }
        CreateWhat::Secret { what } => match what {
            SecretWhat::Generic {
                name,
                from_literal,
                from_file,
                from_env_file,
                type_,
            } => {
                let pairs =
                    collect_sources(cmd, from_literal, from_file, from_env_file, true, name)?;
                Ok(Object::from(Secret {
                    metadata: meta(name),
                    data: Some(pairs.into_iter().map(|(k, v)| (k, ByteString(v))).collect()),
                    type_: type_.clone().filter(|t| !t.is_empty()),
                    ..Default::default()
                }))
            }
            SecretWhat::DockerRegistry {
                name,
                docker_server,
                docker_username,
                docker_password,
                docker_email,
            } => {
                let user = docker_username.as_deref().unwrap_or_default();
                let password = docker_password.as_deref().unwrap_or_default();
                if user.is_empty() || password.is_empty() || docker_server.is_empty() {
                    return Err(CreateError::DockerCredentials);
                }
                let content = docker_config_json(
                    docker_server,
                    user,
                    password,
                    docker_email.as_deref().unwrap_or_default(),
                );
                Ok(Object::from(Secret {
                    metadata: meta(name),
                    data: Some([(".dockerconfigjson".to_owned(), ByteString(content))].into()),
                    type_: Some("kubernetes.io/dockerconfigjson".into()),
                    ..Default::default()
                }))
            }
        },
        CreateWhat::Service { what } => match what {
            ServiceWhat::Clusterip {
                name,
                tcp,
                cluster_ip,
            } => service(name, ns, "ClusterIP", tcp, 0, cluster_ip.as_deref(), None),
            ServiceWhat::Nodeport {
                name,
                tcp,
                node_port,
            } => service(name, ns, "NodePort", tcp, *node_port, None, None),
            ServiceWhat::Loadbalancer { name, tcp } => {
                service(name, ns, "LoadBalancer", tcp, 0, None, None)
            }
            ServiceWhat::Externalname {
                name,
                external_name,
            } => service(name, ns, "ExternalName", &[], 0, None, Some(external_name)),
        },
        _ => Err(CreateError::Nothing),
    }
}

/// `kubectl create configmap`, `create secret` and `create service`.
pub(crate) fn execute_generated(
    cluster: &mut Cluster,
    out: &mut Outcome,
    cmd: &Prepared,
    ns: &str,
) {
    let obj = match generated_object(cmd, ns) {
        Ok(obj) => obj,
        Err(e) => {
            return out.fail(e);
        }
    };
    // create configmap / create secret wrap the server's error (create_configmap.go,
    // create_secret.go: Run); create service prints it as it is.
    let wrap = match obj.kind() {
        Kind::ConfigMap => Some("failed to create configmap: "),
        Kind::Secret => Some("failed to create secret "),
        _ => None,
    };
    match (cluster.request(CLIENT, Request::Create(obj)), wrap) {
        (Err(e), Some(prefix)) => {
            out.fail(format!("error: {prefix}{}", e.message));
        }
        (Ok(resp), _) => {
            if let Some(o) = resp.object() {
                out.line(format!("{} created", kind_ref(o)));
            }
        }
        (Err(e), None) => out.error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn docker_config_layout() {
        let j = docker_config_json("https://index.docker.io/v1/", "u", "p", "e@x");
        assert_eq!(
            String::from_utf8(j).unwrap(),
            r#"{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p","email":"e@x","auth":"dTpw"}}}"#
        );
    }
}

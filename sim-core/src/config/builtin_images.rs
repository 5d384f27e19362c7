//! The content of the built-in images (issue 11): for each image of a
//! kubeadm control plane and of the course (nginx, tomcat, redis, busybox)
//! and the common bases (alpine, debian, ubuntu, centos), its config `Env`
//! and `WorkingDir`, the files a learner looks at (`/etc/os-release`, the
//! document roots, tomcat's `webapps` and `webapps.dist`), the programs its
//! `PATH` really holds (busybox has `wget`, not `curl`; nginx:1.14.2 has
//! neither; tomcat:9.0.55 has `curl`), and the lines its process prints at
//! start (`kubectl logs`). Written from the images' published Dockerfiles
//! and documentation, not copied from the images; the program lists name
//! what the images' packages install in their usual directories, not every
//! file.
//!
//! A log line may hold `{start:FORMAT}`: the container's start time in
//! `strftime` FORMAT (tomcat's and nginx's timestamps).

use std::collections::BTreeMap;

use super::image_fs::program;

/// The runtime's default `PATH` (containerd `oci.WithDefaultPathEnv`), which
/// also is the `PATH` of most Debian- and busybox-based images.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The Kubernetes docs' DNS-debugging image (`dnsutils.yaml`).
pub(super) const DNSUTILS_IMAGE: &str = "registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3";

/// The image of the PersistentVolume controller's recycler pod
/// (`NewPersistentVolumeRecyclerPodTemplate`).
pub const RECYCLER_IMAGE: &str = "registry.k8s.io/build-image/debian-base:bookworm-v1.0.4";
pub(super) const RECYCLER_REPOSITORY: &str = "registry.k8s.io/build-image/debian-base";

/// The repositories of nfs-subdir-external-provisioner: the project's and
/// the course's mirror.
pub(super) const NFS_PROVISIONER_REPOSITORIES: [&str; 2] = [
    "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner",
    "registry.cn-hangzhou.aliyuncs.com/lfy_k8s_images/nfs-subdir-external-provisioner",
];

/// The repositories of the ingress-nginx controller image: the project's
/// (registry.k8s.io, formerly k8s.gcr.io) and the course's mirror.
pub(super) const INGRESS_NGINX_REPOSITORIES: [&str; 3] = [
    "registry.k8s.io/ingress-nginx/controller",
    "k8s.gcr.io/ingress-nginx/controller",
    "registry.cn-hangzhou.aliyuncs.com/lfy_k8s_images/ingress-nginx-controller",
];

/// The repositories of ingress-nginx's admission certificate generator.
pub(super) const CERTGEN_REPOSITORIES: [&str; 2] = [
    "registry.k8s.io/ingress-nginx/kube-webhook-certgen",
    "docker.io/jettech/kube-webhook-certgen",
];

/// What a built-in image holds.
#[derive(Debug, Default)]
pub(super) struct Content {
    /// Config `Env`, in image order.
    pub env: Vec<(String, String)>,
    /// Files (see [`super::image_fs`]).
    pub files: BTreeMap<String, String>,
    /// Config `WorkingDir`.
    pub workdir: String,
    /// Start-up log lines.
    pub logs: Vec<String>,
    /// The server its main process runs.
    pub server: Option<super::ServerProfile>,
    /// The add-on controller its main process is.
    pub addon: Option<super::Addon>,
}

/// The distribution an image is built on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Base {
    /// Debian 8 (the DNS-debugging image jessie-dnsutils).
    Jessie,
    /// Debian 9 (nginx:1.14.2).
    Stretch,
    /// Debian 11 (openjdk:11-jre-slim, under tomcat:9.0.55).
    Bullseye,
    /// Debian 12 (nginx, redis, debian).
    Bookworm,
    /// Ubuntu 22.04 (eclipse-temurin:17-jre-jammy, under tomcat:10.1.11).
    Jammy,
    /// Ubuntu 24.04 (ubuntu, eclipse-temurin:21 under tomcat).
    Noble,
    /// BusyBox 1.37 (busybox).
    Busybox,
    /// Alpine 3.21.
    Alpine,
    /// CentOS Linux 8 (centos, its last tag).
    Centos,
}

/// The root directories of a Debian or Ubuntu image.
const DEBIAN_ROOT: &[&str] = &[
    "boot", "dev", "etc", "home", "media", "mnt", "opt", "proc", "root", "run", "srv", "sys",
    "tmp", "usr", "var",
];

/// Programs of Debian's essential packages, by directory and package (the
/// unmerged layout; a merged-/usr image has them under /usr).
const DEBIAN_PROGRAMS: &[(&str, &str, &[&str])] = &[
    (
        "/bin",
        "coreutils",
        &[
            "cat", "chgrp", "chmod", "chown", "cp", "date", "dd", "df", "dir", "echo", "false",
            "ln", "ls", "mkdir", "mknod", "mktemp", "mv", "pwd", "readlink", "rm", "rmdir",
            "sleep", "stty", "sync", "touch", "true", "uname",
        ],
    ),
    ("/bin", "bash", &["bash"]),
    ("/bin", "dash", &["dash"]),
    ("/bin", "grep", &["grep"]),
    ("/bin", "hostname", &["hostname"]),
    ("/bin", "mount", &["mount", "umount"]),
    ("/bin", "sed", &["sed"]),
    ("/bin", "tar", &["tar"]),
    ("/bin", "gzip", &["gzip"]),
    (
        "/usr/bin",
        "coreutils",
        &[
            "basename", "cut", "dirname", "du", "env", "expr", "head", "id", "md5sum", "nproc",
            "printenv", "printf", "seq", "sort", "tail", "tee", "tr", "uniq", "wc", "whoami",
            "yes",
        ],
    ),
    ("/usr/bin", "findutils", &["find", "xargs"]),
];

/// BusyBox applets a learner types (the busybox image has them all in /bin).
const BUSYBOX_APPLETS: &[&str] = &[
    "ash", "awk", "basename", "cat", "chmod", "cp", "cut", "date", "df", "dirname", "du", "echo",
    "env", "expr", "false", "find", "grep", "head", "hostname", "id", "ifconfig", "ip", "kill",
    "ln", "ls", "mkdir", "more", "mount", "mv", "nc", "nslookup", "ping", "printenv", "printf",
    "ps", "pwd", "readlink", "rm", "rmdir", "sed", "seq", "sh", "sleep", "sort", "tail", "tar",
    "tee", "telnet", "top", "touch", "tr", "true", "umount", "uname", "uniq", "vi", "wc", "wget",
    "whoami", "xargs", "yes",
];

/// The applets Alpine's busybox links from /usr/bin (the others are in /bin).
const ALPINE_USR_BIN: &[&str] = &[
    "awk", "basename", "cut", "dirname", "du", "env", "expr", "find", "head", "id", "nc",
    "nslookup", "printf", "seq", "sort", "tail", "tee", "telnet", "top", "tr", "uniq", "wc",
    "wget", "whoami", "xargs", "yes",
];

/// Debian's `/usr/lib/os-release` for release `version` (`codename`).
fn debian_os_release(version: &str, codename: &str) -> String {
    format!(
        "PRETTY_NAME=\"Debian GNU/Linux {version} ({codename})\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"{version}\"\nVERSION=\"{version} ({codename})\"\nVERSION_CODENAME={codename}\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n"
    )
}

/// Ubuntu's `/usr/lib/os-release` for `version` (`22.04`), its point
/// release (`22.04.2`), its name (`Jammy Jellyfish`) and codename; Ubuntu
/// 24.04 and later add `LOGO`.
fn ubuntu_os_release(version: &str, point: &str, name: &str, codename: &str) -> String {
    let logo = if version >= "24.04" {
        "LOGO=ubuntu-logo\n"
    } else {
        ""
    };
    format!(
        "PRETTY_NAME=\"Ubuntu {point} LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"{version}\"\nVERSION=\"{point} LTS ({name})\"\nVERSION_CODENAME={codename}\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nSUPPORT_URL=\"https://help.ubuntu.com/\"\nBUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"\nPRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"\nUBUNTU_CODENAME={codename}\n{logo}"
    )
}

fn os_release(base: Base) -> Option<String> {
    Some(match base {
        Base::Jessie => debian_os_release("8", "jessie"),
        Base::Stretch => debian_os_release("9", "stretch"),
        Base::Bullseye => debian_os_release("11", "bullseye"),
        Base::Bookworm => debian_os_release("12", "bookworm"),
        Base::Jammy => ubuntu_os_release("22.04", "22.04.2", "Jammy Jellyfish", "jammy"),
        Base::Noble => ubuntu_os_release("24.04", "24.04.2", "Noble Numbat", "noble"),
        Base::Alpine => concat!(
            "NAME=\"Alpine Linux\"\n",
            "ID=alpine\n",
            "VERSION_ID=3.21.3\n",
            "PRETTY_NAME=\"Alpine Linux v3.21\"\n",
            "HOME_URL=\"https://alpinelinux.org/\"\n",
            "BUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n",
        )
        .to_owned(),
        Base::Centos => concat!(
            "NAME=\"CentOS Linux\"\n",
            "VERSION=\"8\"\n",
            "ID=\"centos\"\n",
            "ID_LIKE=\"rhel fedora\"\n",
            "VERSION_ID=\"8\"\n",
            "PLATFORM_ID=\"platform:el8\"\n",
            "PRETTY_NAME=\"CentOS Linux 8\"\n",
            "ANSI_COLOR=\"0;31\"\n",
            "CPE_NAME=\"cpe:/o:centos:centos:8\"\n",
            "HOME_URL=\"https://centos.org/\"\n",
            "BUG_REPORT_URL=\"https://bugs.centos.org/\"\n",
            "CENTOS_MANTISBT_PROJECT=\"CentOS-8\"\n",
            "CENTOS_MANTISBT_PROJECT_VERSION=\"8\"\n",
        )
        .to_owned(),
        Base::Busybox => return None,
    })
}

/// Builds an image's files.
#[derive(Default)]
struct Files(BTreeMap<String, String>);

impl Files {
    fn dir(&mut self, path: &str) {
        self.0
            .insert(format!("{}/", path.trim_end_matches('/')), String::new());
    }

    fn file(&mut self, path: &str, content: &str) {
        self.0.insert(path.to_owned(), content.to_owned());
    }

    fn link(&mut self, path: &str, target: &str) {
        self.0.insert(path.to_owned(), format!("-> {target}"));
    }

    fn programs(&mut self, dir: &str, package: &str, names: &[&str]) {
        for n in names {
            self.0.insert(format!("{dir}/{n}"), program(package));
        }
    }

    /// The distribution's root: directories, its programs, `/etc/os-release`.
    fn base(&mut self, base: Base) {
        let merged = matches!(base, Base::Bookworm | Base::Jammy | Base::Noble);
        match base {
            Base::Jessie
            | Base::Stretch
            | Base::Bullseye
            | Base::Bookworm
            | Base::Jammy
            | Base::Noble => {
                for d in DEBIAN_ROOT {
                    self.dir(d);
                }
                for (dir, package, names) in DEBIAN_PROGRAMS {
                    let dir = if merged && !dir.starts_with("/usr") {
                        format!("/usr{dir}")
                    } else {
                        (*dir).to_owned()
                    };
                    self.programs(&dir, package, names);
                }
                let bin = if merged { "/usr/bin" } else { "/bin" };
                self.link(&format!("{bin}/sh"), "dash");
                self.dir("/usr/sbin");
                self.dir("/usr/local/bin");
                self.dir("/usr/lib");
                if merged {
                    for d in ["bin", "lib", "lib64", "sbin"] {
                        self.link(&format!("/{d}"), &format!("usr/{d}"));
                    }
                    self.dir("/usr/lib64");
                    if base == Base::Jammy {
                        self.link("/lib32", "usr/lib32");
                        self.link("/libx32", "usr/libx32");
                        self.dir("/usr/lib32");
                        self.dir("/usr/libx32");
                    }
                    if base == Base::Noble {
                        for d in ["bin", "lib", "sbin"] {
                            self.dir(&format!("/{d}.usr-is-merged"));
                        }
                    }
                } else {
                    for d in ["lib", "lib64", "sbin"] {
                        self.dir(d);
                    }
                }
                self.link("/etc/os-release", "../usr/lib/os-release");
                self.file("/usr/lib/os-release", &os_release(base).unwrap_or_default());
                self.file(
                    "/etc/debian_version",
                    match base {
                        Base::Jessie => "8.11\n",
                        Base::Stretch => "9.13\n",
                        Base::Bullseye => "11.1\n",
                        Base::Bookworm => "12.10\n",
                        Base::Jammy => "bookworm/sid\n",
                        _ => "trixie/sid\n",
                    },
                );
            }
            Base::Busybox => {
                for d in [
                    "bin", "dev", "etc", "home", "lib", "lib64", "proc", "root", "sys", "tmp",
                    "usr", "var",
                ] {
                    self.dir(d);
                }
                self.programs("/bin", "busybox", &["busybox"]);
                self.programs("/bin", "busybox", BUSYBOX_APPLETS);
                self.file("/etc/hostname", "");
            }
            Base::Alpine => {
                for d in [
                    "dev",
                    "etc",
                    "home",
                    "lib",
                    "media",
                    "mnt",
                    "opt",
                    "proc",
                    "root",
                    "run",
                    "sbin",
                    "srv",
                    "sys",
                    "tmp",
                    "usr",
                    "var",
                    "usr/local/bin",
                    "usr/sbin",
                ] {
                    self.dir(d);
                }
                self.programs("/bin", "busybox", &["busybox"]);
                for a in BUSYBOX_APPLETS {
                    let dir = if ALPINE_USR_BIN.contains(a) {
                        "/usr/bin"
                    } else {
                        "/bin"
                    };
                    self.programs(dir, "busybox", &[a]);
                }
                self.programs("/sbin", "apk-tools", &["apk"]);
                self.file("/etc/alpine-release", "3.21.3\n");
                self.file("/etc/os-release", &os_release(base).unwrap_or_default());
            }
            Base::Centos => {
                for d in [
                    "dev",
                    "etc",
                    "home",
                    "media",
                    "mnt",
                    "opt",
                    "proc",
                    "root",
                    "run",
                    "srv",
                    "sys",
                    "tmp",
                    "usr",
                    "var",
                    "usr/lib64",
                    "usr/sbin",
                    "usr/local/bin",
                ] {
                    self.dir(d);
                }
                for d in ["bin", "lib", "lib64", "sbin"] {
                    self.link(&format!("/{d}"), &format!("usr/{d}"));
                }
                for (_, package, names) in DEBIAN_PROGRAMS {
                    let names: Vec<&str> = names
                        .iter()
                        .copied()
                        .filter(|n| !["dash", "dir", "hostname"].contains(n))
                        .collect();
                    self.programs("/usr/bin", package, &names);
                }
                self.link("/usr/bin/sh", "bash");
                self.programs("/usr/bin", "curl/7.61.1", &["curl"]);
                self.programs("/usr/bin", "dnf", &["dnf", "yum"]);
                self.link("/etc/os-release", "../usr/lib/os-release");
                self.file("/usr/lib/os-release", &os_release(base).unwrap_or_default());
                self.file("/etc/centos-release", "CentOS Linux release 8.4.2105\n");
            }
        }
    }
}

/// `/usr/share/nginx/html/index.html` of nginx 1.14 (612 bytes, the size in
/// its access log lines).
const NGINX_INDEX_HTML: &str = r#"<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
    body {
        width: 35em;
        margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif;
    }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"#;

/// nginx's `50x.html`.
const NGINX_50X_HTML: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n<style>\n    body {\n        width: 35em;\n        margin: 0 auto;\n        font-family: Tahoma, Verdana, Arial, sans-serif;\n    }\n</style>\n</head>\n<body>\n<h1>An error occurred.</h1>\n<p>Sorry, the page you are looking for is currently unavailable.<br/>\nPlease try again later.</p>\n<p>If you are the system administrator of this resource then you should check\nthe error log for details.</p>\n<p><em>Faithfully yours, nginx.</em></p>\n</body>\n</html>\n";

/// nginx's `/etc/nginx/conf.d/default.conf`, the part that serves files.
const NGINX_DEFAULT_CONF: &str = "server {\n    listen       80;\n    server_name  localhost;\n\n    location / {\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }\n\n    error_page   500 502 503 504  /50x.html;\n    location = /50x.html {\n        root   /usr/share/nginx/html;\n    }\n}\n";

/// The start-up lines of the nginx image's entrypoint (1.19 and later) and
/// of nginx itself.
const NGINX_ENTRYPOINT_LOGS: &[&str] = &[
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
    "{start:%Y/%m/%d %H:%M:%S} [notice] 1#1: using the \"epoll\" event method",
    "{start:%Y/%m/%d %H:%M:%S} [notice] 1#1: nginx/1.27.5",
    "{start:%Y/%m/%d %H:%M:%S} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14) ",
    "{start:%Y/%m/%d %H:%M:%S} [notice] 1#1: OS: Linux 6.8.0-1027-gcp",
    "{start:%Y/%m/%d %H:%M:%S} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576",
    "{start:%Y/%m/%d %H:%M:%S} [notice] 1#1: start worker processes",
    "{start:%Y/%m/%d %H:%M:%S} [notice] 1#1: start worker process 29",
];

fn nginx(files: &mut Files, version: &str) -> Vec<(String, String)> {
    let legacy = version.starts_with("1.14");
    files.base(if legacy {
        Base::Stretch
    } else {
        Base::Bookworm
    });
    files.programs("/usr/sbin", "nginx", &["nginx"]);
    files.file("/usr/share/nginx/html/index.html", NGINX_INDEX_HTML);
    files.file("/usr/share/nginx/html/50x.html", NGINX_50X_HTML);
    files.file("/etc/nginx/conf.d/default.conf", NGINX_DEFAULT_CONF);
    files.file("/etc/nginx/nginx.conf", "user  nginx;\nworker_processes  auto;\n\nerror_log  /var/log/nginx/error.log notice;\npid        /var/run/nginx.pid;\n\nevents {\n    worker_connections  1024;\n}\n\nhttp {\n    include       /etc/nginx/mime.types;\n    default_type  application/octet-stream;\n    access_log  /var/log/nginx/access.log  main;\n    sendfile        on;\n    keepalive_timeout  65;\n    include /etc/nginx/conf.d/*.conf;\n}\n");
    files.link("/var/log/nginx/access.log", "/dev/stdout");
    files.link("/var/log/nginx/error.log", "/dev/stderr");
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    if legacy {
        return vec![
            pair("PATH", DEFAULT_PATH),
            pair("NGINX_VERSION", "1.14.2-1~stretch"),
            pair("NJS_VERSION", "1.14.2.0.2.6-1~stretch"),
        ];
    }
    files.file(
        "/docker-entrypoint.sh",
        "#!/bin/sh\n# vim:sw=4:ts=4:et\n\nset -e\n",
    );
    for s in [
        "10-listen-on-ipv6-by-default.sh",
        "20-envsubst-on-templates.sh",
        "30-tune-worker-processes.sh",
    ] {
        files.file(&format!("/docker-entrypoint.d/{s}"), "#!/bin/sh\n");
    }
    files.file(
        "/docker-entrypoint.d/15-local-resolvers.envsh",
        "#!/bin/sh\n",
    );
    files.programs("/usr/bin", "curl/7.88.1", &["curl"]);
    vec![
        pair("PATH", DEFAULT_PATH),
        pair("NGINX_VERSION", "1.27.5"),
        pair("NJS_VERSION", "0.8.10"),
        pair("NJS_RELEASE", "1~bookworm"),
        pair("PKG_RELEASE", "1~bookworm"),
        pair("DYNPKG_RELEASE", "1~bookworm"),
    ]
}

/// What a tomcat image's Catalina prints at start (webapps empty: no
/// application is deployed).
fn tomcat_logs(
    version: &str,
    built: &str,
    java_home: &str,
    jvm: &str,
    vendor: &str,
) -> Vec<String> {
    let at = "{start:%d-%b-%Y %H:%M:%S%.3f} INFO [main]";
    let listener = "org.apache.catalina.startup.VersionLoggerListener.log";
    let mut lines = vec![
        "NOTE: Picked up JDK_JAVA_OPTIONS:  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED".to_owned(),
    ];
    let info: [(&str, String); 11] = [
        (
            "Server version name:   ",
            format!("Apache Tomcat/{version}"),
        ),
        ("Server built:          ", built.to_owned()),
        ("Server version number: ", format!("{version}.0")),
        ("OS Name:               ", "Linux".to_owned()),
        ("OS Version:            ", "6.8.0-1027-gcp".to_owned()),
        ("Architecture:          ", "amd64".to_owned()),
        ("Java Home:             ", java_home.to_owned()),
        ("JVM Version:           ", jvm.to_owned()),
        ("JVM Vendor:            ", vendor.to_owned()),
        ("CATALINA_BASE:         ", "/usr/local/tomcat".to_owned()),
        ("CATALINA_HOME:         ", "/usr/local/tomcat".to_owned()),
    ];
    for (k, v) in info {
        lines.push(format!("{at} {listener} {k}{v}"));
    }
    for arg in [
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
        "-Djava.util.logging.config.file=/usr/local/tomcat/conf/logging.properties",
        "-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager",
        "-Djdk.tls.ephemeralDHKeySize=2048",
        "-Djava.protocol.handler.pkgs=org.apache.catalina.webresources",
        "-Dorg.apache.catalina.security.SecurityListener.UMASK=0027",
        "-Dcatalina.base=/usr/local/tomcat",
        "-Dcatalina.home=/usr/local/tomcat",
        "-Djava.io.tmpdir=/usr/local/tomcat/temp",
    ] {
        lines.push(format!("{at} {listener} Command line argument: {arg}"));
    }
    for (class, message) in [
        (
            "org.apache.coyote.AbstractProtocol.init",
            "Initializing ProtocolHandler [\"http-nio-8080\"]".to_owned(),
        ),
        (
            "org.apache.catalina.startup.Catalina.load",
            "Server initialization in [712] milliseconds".to_owned(),
        ),
        (
            "org.apache.catalina.core.StandardService.startInternal",
            "Starting service [Catalina]".to_owned(),
        ),
        (
            "org.apache.catalina.core.StandardEngine.startInternal",
            format!("Starting Servlet engine: [Apache Tomcat/{version}]"),
        ),
        (
            "org.apache.coyote.AbstractProtocol.start",
            "Starting ProtocolHandler [\"http-nio-8080\"]".to_owned(),
        ),
        (
            "org.apache.catalina.startup.Catalina.start",
            "Server startup in [64] milliseconds".to_owned(),
        ),
    ] {
        lines.push(format!("{at} {class} {message}"));
    }
    lines
}

fn tomcat(files: &mut Files, name: &str) -> (Vec<(String, String)>, Vec<String>, String) {
    let (base, java_home, java_version, major, version, built, jvm, vendor) = match name {
        "tomcat:9.0.55" => (
            Base::Bullseye,
            "/usr/local/openjdk-11",
            "11.0.13",
            "9",
            "9.0.55",
            "Nov 10 2021 08:26:45 UTC",
            "11.0.13+8",
            "Oracle Corporation",
        ),
        "tomcat:10.1.11" => (
            Base::Jammy,
            "/opt/java/openjdk",
            "jdk-17.0.7+7",
            "10",
            "10.1.11",
            "Jul 6 2023 22:55:25 UTC",
            "17.0.7+7",
            "Eclipse Adoptium",
        ),
        _ => (
            Base::Noble,
            "/opt/java/openjdk",
            "jdk-21.0.7+6",
            "11",
            "11.0.7",
            "May 7 2025 18:44:24 UTC",
            "21.0.7+6-LTS",
            "Eclipse Adoptium",
        ),
    };
    files.base(base);
    let curl = match base {
        Base::Bullseye => "curl/7.74.0",
        Base::Jammy => "curl/7.81.0",
        _ => "curl/8.5.0",
    };
    files.programs("/usr/bin", curl, &["curl"]);
    if base != Base::Bullseye {
        files.programs("/usr/bin", "wget", &["wget"]);
    }
    files.programs(
        &format!("{java_home}/bin"),
        "openjdk",
        &["java", "jfr", "jrunscript", "keytool"],
    );
    let home = "/usr/local/tomcat";
    for s in [
        "catalina.sh",
        "configtest.sh",
        "digest.sh",
        "shutdown.sh",
        "startup.sh",
        "version.sh",
    ] {
        files.file(&format!("{home}/bin/{s}"), "#!/bin/sh\n");
    }
    for d in ["lib", "logs", "native-jni-lib", "temp", "webapps", "work"] {
        files.dir(&format!("{home}/{d}"));
    }
    for c in [
        "catalina.policy",
        "catalina.properties",
        "context.xml",
        "logging.properties",
        "server.xml",
        "tomcat-users.xml",
        "web.xml",
    ] {
        files.file(
            &format!("{home}/conf/{c}"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        );
    }
    for t in [
        "BUILDING.txt",
        "CONTRIBUTING.md",
        "LICENSE",
        "NOTICE",
        "README.md",
        "RELEASE-NOTES",
        "RUNNING.txt",
    ] {
        files.file(&format!("{home}/{t}"), "");
    }
    // The official image moves the default applications to webapps.dist
    // (docker-library/tomcat#183): webapps is empty, so / answers 404.
    let dist = format!("{home}/webapps.dist");
    files.file(
        &format!("{dist}/ROOT/index.jsp"),
        &tomcat_root_page(version),
    );
    files.file(&format!("{dist}/ROOT/RELEASE-NOTES.txt"), "");
    files.file(
        &format!("{dist}/ROOT/WEB-INF/web.xml"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
    );
    for f in [
        "asf-logo-wide.svg",
        "bg-button.png",
        "bg-middle.png",
        "bg-nav.png",
        "bg-upper.png",
        "favicon.ico",
        "tomcat.css",
        "tomcat.svg",
    ] {
        files.file(&format!("{dist}/ROOT/{f}"), "");
    }
    for app in ["docs", "examples", "host-manager", "manager"] {
        files.file(
            &format!("{dist}/{app}/WEB-INF/web.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        );
        files.file(&format!("{dist}/{app}/index.html"), "");
    }
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let mut env = vec![
        pair(
            "PATH",
            &format!("{home}/bin:{java_home}/bin:{DEFAULT_PATH}"),
        ),
        pair("JAVA_HOME", java_home),
        pair(
            "LANG",
            if base == Base::Bullseye {
                "C.UTF-8"
            } else {
                "en_US.UTF-8"
            },
        ),
    ];
    if base != Base::Bullseye {
        env.push(pair("LANGUAGE", "en_US:en"));
        env.push(pair("LC_ALL", "en_US.UTF-8"));
    }
    env.extend([
        pair("JAVA_VERSION", java_version),
        pair("CATALINA_HOME", home),
        pair("TOMCAT_NATIVE_LIBDIR", &format!("{home}/native-jni-lib")),
        pair("LD_LIBRARY_PATH", &format!("{home}/native-jni-lib")),
        pair("TOMCAT_MAJOR", major),
        pair("TOMCAT_VERSION", version),
    ]);
    (
        env,
        tomcat_logs(version, built, java_home, jvm, vendor),
        version.to_owned(),
    )
}

/// The page ROOT's index.jsp renders (its title and heading; the rest of
/// the page is links to the documentation).
fn tomcat_root_page(version: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"UTF-8\" />\n        <title>Apache Tomcat/{version}</title>\n        <link href=\"favicon.ico\" rel=\"icon\" type=\"image/x-icon\" />\n        <link href=\"tomcat.css\" rel=\"stylesheet\" type=\"text/css\" />\n    </head>\n\n    <body>\n        <div id=\"wrapper\">\n            <div id=\"navigation\" class=\"curved container\">\n                <span id=\"nav-home\"><a href=\"https://tomcat.apache.org/\">Home</a></span>\n                <br class=\"separator\" />\n            </div>\n            <div id=\"asf-box\">\n                <h1>Apache Tomcat/{version}</h1>\n            </div>\n            <div id=\"congrats\" class=\"curved container\">\n                <h2>If you're seeing this, you've successfully installed Tomcat. Congratulations!</h2>\n            </div>\n        </div>\n    </body>\n\n</html>\n"
    )
}

/// The content of built-in image `name` (a reference of the catalog).
pub(super) fn content(name: &str) -> Content {
    let mut files = Files::default();
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let mut workdir = "/".to_owned();
    let mut logs = Vec::new();
    let mut server = None;
    let mut addon = None;
    let env = match name {
        "nginx:1.14.2" => {
            server = Some(super::ServerProfile::Nginx {
                version: "1.14.2".into(),
            });
            nginx(&mut files, "1.14.2")
        }
        "nginx" => {
            logs = NGINX_ENTRYPOINT_LOGS
                .iter()
                .map(|l| (*l).to_owned())
                .collect();
            server = Some(super::ServerProfile::Nginx {
                version: "1.27.5".into(),
            });
            nginx(&mut files, "1.27.5")
        }
        "tomcat" | "tomcat:9.0.55" | "tomcat:10.1.11" => {
            workdir = "/usr/local/tomcat".to_owned();
            let (env, lines, version) = tomcat(&mut files, name);
            logs = lines;
            server = Some(super::ServerProfile::Tomcat { version });
            env
        }
        name if INGRESS_NGINX_REPOSITORIES.contains(&name) => {
            files.base(Base::Alpine);
            files.programs(
                "/",
                "ingress-nginx",
                &["nginx-ingress-controller", "dbg", "wait-shutdown"],
            );
            files.programs("/usr/bin", "dumb-init", &["dumb-init"]);
            files.programs("/usr/local/nginx/sbin", "nginx", &["nginx"]);
            files.file("/etc/nginx/nginx.conf", "# Configuration generated by the ingress controller from the Ingresses of its class.\n");
            workdir = "/etc/nginx".to_owned();
            logs = vec![
                "-------------------------------------------------------------------------------"
                    .into(),
                "NGINX Ingress controller".into(),
                "  Repository:    https://github.com/kubernetes/ingress-nginx".into(),
                "-------------------------------------------------------------------------------"
                    .into(),
            ];
            server = Some(super::ServerProfile::IngressNginx);
            vec![pair("PATH", DEFAULT_PATH)]
        }
        "redis" => {
            files.base(Base::Bookworm);
            files.programs(
                "/usr/local/bin",
                "redis",
                &[
                    "redis-server",
                    "redis-cli",
                    "redis-benchmark",
                    "redis-check-aof",
                    "redis-check-rdb",
                    "redis-sentinel",
                    "gosu",
                ],
            );
            files.file("/usr/local/bin/docker-entrypoint.sh", "#!/bin/sh\nset -e\n");
            files.dir("/data");
            workdir = "/data".to_owned();
            vec![
                pair("PATH", DEFAULT_PATH),
                pair("GOSU_VERSION", "1.17"),
                pair("REDIS_VERSION", "7.4.2"),
            ]
        }
        name if NFS_PROVISIONER_REPOSITORIES.contains(&name) => {
            // A static Go binary on distroless/static: no shell.
            files.programs(
                "/",
                "nfs-subdir-external-provisioner",
                &["nfs-subdir-external-provisioner"],
            );
            files.dir("/persistentvolumes");
            logs = vec!["I0101 00:00:00.000000       1 leaderelection.go:242] attempting to acquire leader lease default/k8s-sigs.io-nfs-subdir-external-provisioner...".into()];
            addon = Some(super::Addon::NfsSubdirProvisioner);
            vec![pair("PATH", DEFAULT_PATH)]
        }
        RECYCLER_REPOSITORY => {
            files.base(Base::Bookworm);
            addon = Some(super::Addon::VolumeRecycler);
            vec![pair("PATH", DEFAULT_PATH)]
        }
        DNSUTILS_IMAGE => {
            // test/images/jessie-dnsutils: Debian 8 with the dnsutils
            // package and a CoreDNS binary at the root; run with `sleep`.
            files.base(Base::Jessie);
            files.programs(
                "/usr/bin",
                "dnsutils/9.9.5",
                &["dig", "nslookup", "host", "nsupdate"],
            );
            files.programs("/", "coredns/1.5.0", &["coredns"]);
            vec![pair("PATH", DEFAULT_PATH)]
        }
        "busybox" | "alpine" | "debian" | "ubuntu" | "centos" => {
            files.base(match name {
                "busybox" => Base::Busybox,
                "alpine" => Base::Alpine,
                "debian" => Base::Bookworm,
                "ubuntu" => Base::Noble,
                _ => Base::Centos,
            });
            vec![pair("PATH", DEFAULT_PATH)]
        }
        _ => Vec::new(),
    };
    Content {
        env,
        files: files.0,
        workdir,
        logs,
        server,
        addon,
    }
}

/// The files of a node's own root filesystem: the Ubuntu 24.04 server a
/// kubeadm node runs (its `OS-IMAGE`), with the host tools the course uses
/// (`curl`, `wget`, `ping`, `ip`, `iptables`, `iptables-save`, `exportfs`
/// with an empty `/etc/exports`) and the
/// node's `/etc/hostname` and `/etc/hosts` (Ubuntu's, with the name on
/// 127.0.1.1).
pub fn host_files(node: &str) -> BTreeMap<String, String> {
    let mut files = Files::default();
    files.base(Base::Noble);
    files.programs("/usr/bin", "curl/8.5.0", &["curl"]);
    files.programs("/usr/bin", "wget", &["wget"]);
    files.programs("/usr/bin", "iputils-ping", &["ping"]);
    files.programs("/usr/bin", "iproute2", &["ip"]);
    files.programs("/usr/bin", "procps", &["ps"]);
    files.programs(
        "/usr/sbin",
        "iptables",
        &["iptables", "iptables-save", "iptables-restore"],
    );
    // nfs-kernel-server, installed (the course's `yum install nfs-utils`),
    // and its empty exports table.
    files.programs("/usr/sbin", "nfs-kernel-server", &["exportfs"]);
    files.file("/etc/exports", "");
    files.dir("/root");
    files.dir("/home");
    files.file("/etc/hostname", &format!("{node}\n"));
    files.file(
        "/etc/hosts",
        &format!(
            "127.0.0.1 localhost\n127.0.1.1 {node}\n\n# The following lines are desirable for IPv6 capable hosts\n::1     ip6-localhost ip6-loopback\nfe00::0 ip6-localnet\nff00::0 ip6-mcastprefix\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n"
        ),
    );
    files.file(
        "/etc/resolv.conf",
        "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n",
    );
    files.0
}

//! Tests of the container's shell: the course's sessions, pipelines and
//! redirections, dash's and coreutils' messages, and that random lines never
//! panic.

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::components::kubelet::container_fs::{FsEntry, ImageTree, Mount, MountSource};

fn file(content: &str) -> FsEntry {
    FsEntry::File {
        content: content.to_owned(),
        mode: 0o755,
    }
}

/// A tomcat-like image with the programs of a Debian base.
fn image() -> Arc<ImageTree> {
    let mut entries: Vec<(String, FsEntry)> = [
        "cat", "ls", "mkdir", "rm", "mv", "cp", "touch", "head", "tail", "wc", "grep", "sort",
        "hostname", "env", "printenv", "sleep", "rmdir", "dd", "printf", "ps", "uname", "date",
        "id",
    ]
    .iter()
    .map(|p| (format!("/bin/{p}"), file("")))
    .collect();
    entries.extend([
        ("/usr/local/tomcat/webapps/".to_owned(), FsEntry::Dir),
        ("/usr/local/tomcat/webapps.dist/ROOT/index.jsp".to_owned(), file("<html>Tomcat</html>\n")),
        ("/etc/os-release".to_owned(), file("PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n")),
    ]);
    Arc::new(ImageTree::new(entries))
}

struct Session {
    shell: Shell,
    fs: ContainerFs,
    vols: VolumeStore,
}

impl Session {
    fn new(mounts: Vec<Mount>, vols: VolumeStore) -> Self {
        let env = [
            ("PATH".to_owned(), "/usr/local/bin:/usr/bin:/bin".to_owned()),
            ("HOME".to_owned(), "/root".to_owned()),
        ];
        Self {
            shell: Shell::new("/usr/local/tomcat", env, "my-tomcat-7d6f8-abcde"),
            fs: ContainerFs::new(image(), mounts, &vols),
            vols,
        }
    }

    fn run(&mut self, line: &str) -> Output {
        let mut files = Files::new(&mut self.fs, &mut self.vols);
        self.shell.run_line(line, &mut files)
    }

    /// Runs `line` as `sh -c` would: a new shell (its messages say line 1)
    /// in this session's directory, on the same files.
    fn run_c(&mut self, line: &str) -> Output {
        let mut files = Files::new(&mut self.fs, &mut self.vols);
        let mut shell = Shell::new(
            &self.shell.cwd,
            self.shell.vars.clone(),
            &self.shell.hostname,
        );
        shell.run_line(line, &mut files)
    }
}

fn session() -> Session {
    Session::new(Vec::new(), VolumeStore::default())
}

#[test]
fn the_course_fixes_tomcats_404_in_a_session() {
    let mut s = session();
    assert_eq!(s.run("pwd").stdout, "/usr/local/tomcat\n");
    assert_eq!(s.run("ls").stdout, "webapps\nwebapps.dist\n");
    let out = s.run("rm -rf webapps && mv webapps.dist webapps");
    assert_eq!((out.status, out.stderr.as_str()), (0, ""));
    assert_eq!(s.run("ls webapps").stdout, "ROOT\n");
    assert_eq!(
        s.run("cat webapps/ROOT/index.jsp").stdout,
        "<html>Tomcat</html>\n"
    );
    // An interactive dash numbers the lines of its session in messages.
    let out = s.run("cd webapps/ROOT; pwd; cd /nowhere");
    assert_eq!(out.stdout, "/usr/local/tomcat/webapps/ROOT\n");
    assert_eq!(out.stderr, "sh: 6: cd: can't cd to /nowhere\n");
    assert_eq!(out.status, 2);
}

#[test]
fn pipelines_redirections_and_variables() {
    let mut s = session();
    let out = s.run("cat /etc/os-release | grep NAME | wc -l");
    assert_eq!(out.stdout, "2\n");
    s.run("echo hello > /tmp-file; echo world >> /tmp-file");
    assert_eq!(s.run("cat /tmp-file").stdout, "hello\nworld\n");
    assert_eq!(s.run("sort -r < /tmp-file").stdout, "world\nhello\n");
    assert_eq!(
        s.run("head -n 1 /tmp-file; tail -1 /tmp-file").stdout,
        "hello\nworld\n"
    );
    // stderr to a file, and 2>&1 into the pipe.
    let out = s.run("cat /missing 2> /err.log");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.status),
        ("", "", 1)
    );
    assert_eq!(
        s.run("cat /err.log").stdout,
        "cat: /missing: No such file or directory\n"
    );
    assert_eq!(
        s.run("cat /missing 2>&1 | wc -l").stdout,
        "1\n",
        "2>&1 sends the error down the pipe"
    );
    let out = s.run("X=1; export Y=2; echo $X $Y $HOME; Z=3 printenv Z; printenv Z");
    assert_eq!(out.stdout, "1 2 /root\n3\n");
    assert_eq!(out.status, 1, "Z was set for one command only");
    assert_eq!(s.run("false || echo $?").stdout, "1\n");
    assert_eq!(s.run("true && ! false && echo yes").stdout, "yes\n");
    assert_eq!(s.run("echo -n a; echo 'b\\tc'").stdout, "ab\tc\n");
    let out = s.run("exit 3; echo never");
    assert!(out.exited);
    assert_eq!((out.status, out.stdout.as_str()), (3, ""));
}

#[test]
fn messages_of_dash_and_coreutils() {
    let mut s = session();
    let out = s.run("curl http://localhost:8080");
    assert_eq!(
        (out.stderr.as_str(), out.status),
        ("sh: 1: curl: not found\n", 127)
    );
    let out = s.run("dd if=/dev/zero");
    assert_eq!(
        out.status, 126,
        "in the image but not modelled: {}",
        out.stderr
    );
    let out = s.run("echo 'open");
    assert_eq!(
        (out.stderr.as_str(), out.status),
        ("sh: 3: Syntax error: Unterminated quoted string\n", 2)
    );
    assert_eq!(
        s.run("ls /nope").stderr,
        "ls: cannot access '/nope': No such file or directory\n"
    );
    assert_eq!(s.run("ls /nope").status, 2);
    // A long listing: root owns everything; times are the container's start.
    let out = s.run("ls -l /");
    assert_eq!(
        (out.stdout.as_str(), out.status),
        (
            "total 12\ndrwxr-xr-x 2 root root 4096 Apr 23 00:00 bin\ndrwxr-xr-x 2 root root 4096 Apr 23 00:00 etc\ndrwxr-xr-x 3 root root 4096 Apr 23 00:00 usr\n",
            0
        )
    );
    let out = s.run("ls -t /");
    assert_eq!(
        (out.stdout.as_str(), out.status),
        ("", 2),
        "an option not modelled is refused, not ignored"
    );
    assert_eq!(
        s.run("ls -R /usr/local/tomcat").stdout,
        "/usr/local/tomcat:\nwebapps\nwebapps.dist\n\n/usr/local/tomcat/webapps:\n\n/usr/local/tomcat/webapps.dist:\nROOT\n\n/usr/local/tomcat/webapps.dist/ROOT:\nindex.jsp\n"
    );
    let out = s.run("ls -lh /usr/local/tomcat/webapps.dist/ROOT");
    assert!(
        out.stdout.contains(" 20 Apr 23 00:00 index.jsp"),
        "{}",
        out.stdout
    );
    assert!(s.run("ls -ldh /usr").stdout.contains(" 4.0K "));
    assert_eq!(
        s.run("mkdir /usr").stderr,
        "mkdir: cannot create directory '/usr': File exists\n"
    );
    assert_eq!(
        s.run("rm /usr").stderr,
        "rm: cannot remove '/usr': Is a directory\n"
    );
    assert_eq!(s.run("rm -f /nope").status, 0);
    assert_eq!(
        s.run("mv /nope /x").stderr,
        "mv: cannot stat '/nope': No such file or directory\n"
    );
    assert_eq!(
        s.run_c("echo x > /no/such/dir/f").stderr,
        "sh: 1: cannot create /no/such/dir/f: Directory nonexistent\n"
    );
    assert_eq!(
        s.run_c("cat < /nope").stderr,
        "sh: 1: cannot open /nope: No such file\n"
    );
    assert_eq!(
        s.run("cp /usr /x").stderr,
        "cp: -r not specified; omitting directory '/usr'\n"
    );
    assert_eq!(s.run("grep zzz /etc/os-release").status, 1);
    assert_eq!(s.run("grep -c -i debian /etc/os-release").stdout, "3\n");
    assert_eq!(s.run("hostname").stdout, "my-tomcat-7d6f8-abcde\n");
    // Only the programs on PATH: without /bin on it, ls is not found.
    assert_eq!(s.run("PATH=/usr/bin ls").status, 127);
    assert_eq!(
        s.run("/bin/ls /usr/local/tomcat").stdout,
        "webapps\nwebapps.dist\n"
    );
}

#[test]
fn a_read_only_mount_refuses_and_an_empty_dir_is_shared() {
    let mut vols = VolumeStore::default();
    let config = vols.create_with([("/app.conf".to_owned(), file("a=1\n"))]);
    let shared = vols.create();
    let mounts = vec![
        Mount {
            path: "/etc/app".to_owned(),
            volume: config,
            sub_path: "/".to_owned(),
            read_only: true,
            source: MountSource::Disk,
        },
        Mount {
            path: "/data".to_owned(),
            volume: shared,
            sub_path: "/".to_owned(),
            read_only: false,
            source: MountSource::Disk,
        },
    ];
    let mut s = Session::new(mounts, vols);
    let out = s.run("echo b=2 >> /etc/app/app.conf");
    assert_eq!(
        out.stderr,
        "sh: 1: cannot create /etc/app/app.conf: Read-only file system\n"
    );
    assert_eq!(
        s.run("rm /etc/app/app.conf").stderr,
        "rm: cannot remove '/etc/app/app.conf': Read-only file system\n"
    );
    // mv across mounts copies then removes.
    s.run("echo page > /page.html");
    let out = s.run("mv /page.html /data/ && ls /data && ls /page.html");
    assert_eq!(out.stdout, "page.html\n");
    assert_eq!(
        out.stderr,
        "ls: cannot access '/page.html': No such file or directory\n"
    );
}

proptest! {
    /// Any line over the grammar's characters and a few programs runs to an
    /// end: no panic, and a status.
    #[test]
    fn random_lines_never_panic(line in "(ls|cat|echo|cd|rm -rf|mkdir -p|mv|cp -r|grep|wc|exit|[ a-c/$'\"|;&<>.12-])*") {
        let mut s = session();
        let out = s.run(&line);
        prop_assert!(out.stdout.len() + out.stderr.len() <= MAX_OUTPUT_BYTES + 200);
    }
}

#[test]
fn printf_head_bytes_ps_and_the_clock() {
    let mut s = Session::new(Vec::new(), VolumeStore::default());
    assert_eq!(
        s.run("printf '%s-%d|' a 1 b 2; printf '\\n'").stdout,
        "a-1|b-2|\n"
    );
    let out = s.run("printf '%d' x");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.status),
        ("0", "printf: invalid number\n", 1)
    );
    assert_eq!(
        s.run("cat /etc/os-release | head -c 11").stdout,
        "PRETTY_NAME"
    );
    assert_eq!(s.run("head -c 3 /etc/os-release | wc -c").stdout, "3\n");
    let ps = s.run("ps").stdout;
    assert!(
        ps.starts_with("    PID TTY          TIME CMD\n      1 ?"),
        "{ps}"
    );
    assert!(ps.ends_with("ps\n"), "{ps}");
    // Time zero of the virtual clock is the epoch kubesim starts from.
    assert_eq!(s.run("date").stdout, "Wed Apr 23 00:00:00 UTC 2025\n");
    assert_eq!(s.run("uname").stdout, "Linux\n");
    assert_eq!(s.run("uname -n").stdout, "my-tomcat-7d6f8-abcde\n");
}

//! `sim shell` at a terminal: the binary on a pseudo-terminal, typed into
//! line by line after each prompt, as a learner would. `kubectl exec -it
//! POD -- sh` opens the container's prompt; its lines go to the container
//! until `exit`, then the kubesim prompt is back.

#![cfg(unix)]

use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::pty::openpty;

/// Reads from the terminal until `want` has appeared after `from`.
fn read_until(master: &mut std::fs::File, seen: &mut String, from: usize, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen[from.min(seen.len())..].contains(want) {
        assert!(
            Instant::now() < deadline,
            "no {want:?} on the terminal; it shows:\n{seen}"
        );
        let fd = master.try_clone().expect("dup");
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(500u16)).expect("poll") == 0 {
            continue;
        }
        let mut buf = [0u8; 4096];
        match master.read(&mut buf) {
            Ok(0) | Err(_) => panic!("the terminal closed; it showed:\n{seen}"),
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
}

#[test]
fn an_interactive_container_shell_at_a_terminal() {
    let pty = openpty(None, None).expect("a pseudo-terminal");
    let slave: OwnedFd = pty.slave;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("shell")
        .env("TERM", "dumb")
        .stdin(Stdio::from(slave.try_clone().expect("dup")))
        .stdout(Stdio::from(slave.try_clone().expect("dup")))
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("sim shell starts");
    let mut master = std::fs::File::from(pty.master);
    let mut seen = String::new();
    // Types `line` once `prompt` shows after `from`; where its output starts.
    let typed =
        |master: &mut std::fs::File, seen: &mut String, from: usize, prompt: &str, line: &str| {
            read_until(master, seen, from, prompt);
            let mark = seen.len();
            master
                .write_all(format!("{line}\r").as_bytes())
                .expect("typed");
            mark
        };
    let m = typed(
        &mut master,
        &mut seen,
        0,
        "root@control-plane:~# ",
        "kubectl run b --image busybox -- sleep 3600",
    );
    read_until(&mut master, &mut seen, m, "pod/b created");
    let m = typed(
        &mut master,
        &mut seen,
        m,
        "root@control-plane:~# ",
        "run until pod/b running",
    );
    read_until(&mut master, &mut seen, m, "running after");
    let m = typed(
        &mut master,
        &mut seen,
        m,
        "root@control-plane:~# ",
        "kubectl exec -it b -- sh",
    );
    read_until(&mut master, &mut seen, m, "/ # ");
    let m = seen.len();
    master
        .write_all(b"echo hi from $HOSTNAME; cd /tmp\r")
        .expect("typed");
    read_until(&mut master, &mut seen, m, "hi from b");
    read_until(&mut master, &mut seen, m, "/tmp # ");
    let m = seen.len();
    master.write_all(b"exit 4\r").expect("typed");
    read_until(
        &mut master,
        &mut seen,
        m,
        "command terminated with exit code 4",
    );
    read_until(&mut master, &mut seen, m, "root@control-plane:~# ");
    master.write_all(b"exit\r").expect("typed");
    let status = child.wait().expect("sim shell ends");
    assert!(status.success(), "{status:?}\n{seen}");
}

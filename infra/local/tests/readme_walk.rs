//! The README's "Using it locally", walked as written: the first block's exports and `serve`
//! line start the stack (on a free port instead of 8080), then every command of the second block
//! runs in order in one shell, with the first block's exports. A step fails the test when it
//! exits non-zero or when its output lacks what its `# → …` comment says it answers
//! (a comment in parentheses only describes the answer). `cargo run -p socialcare-local --`
//! is this package's `care` binary; everything listens on 127.0.0.1.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `sh` blocks of the README section named `heading`, each as its lines.
fn blocks(readme: &str, heading: &str) -> Vec<Vec<String>> {
    let Some(start) = readme.find(heading) else {
        return vec![];
    };
    let section = &readme[start + heading.len()..];
    let section = section.find("\n## ").map_or(section, |end| &section[..end]);
    let mut out = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in section.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```sh") => current = Some(Vec::new()),
            (Some(_), l) if l.starts_with("```") => out.extend(current.take()),
            (Some(b), _) => b.push(line.to_string()),
            _ => {}
        }
    }
    out
}

/// Commands of a block: continuation lines joined, comment-only and empty lines left out.
fn commands(block: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in block {
        if pending.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with('#')) {
            continue;
        }
        match line.trim_end().strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(line.trim());
                out.push(std::mem::take(&mut pending));
            }
        }
    }
    out
}

/// What a command's `# → …` comment says its output contains (None for a parenthesised note).
fn expectation(command: &str) -> Option<String> {
    let (_, said) = command.split_once("# → ")?;
    let said = said.trim();
    (!said.starts_with('(')).then(|| said.to_string())
}

fn localise(command: &str, care: &str, port: u16) -> String {
    command
        .replace("cargo run -q -p socialcare-local --", care)
        .replace("cargo run -p socialcare-local --", care)
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
        .replace("--port 8080", &format!("--port {port}"))
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

fn up(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let ok = Command::new("curl")
            .args(["-fsS", "-o", "/dev/null", &format!("http://127.0.0.1:{port}/health")])
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn the_readme_using_it_locally_block_works_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap_or_default();
    let found = blocks(&readme, "## Using it locally");
    assert!(found.len() >= 2, "the section has a block per terminal: {found:?}");
    let care = env!("CARGO_BIN_EXE_care");
    let port = free_port();
    let first = commands(&found[0]);
    let exports: Vec<String> = first.iter().filter(|c| c.starts_with("export ")).cloned().collect();
    let serve = first
        .iter()
        .find(|c| c.contains(" serve "))
        .unwrap_or_else(|| panic!("the first block starts the stack: {first:?}"));
    assert!(exports.len() >= 3, "the first block sets the secrets: {first:?}");

    let log = std::env::temp_dir().join(format!("readme-walk-{port}.log"));
    let serve_script = format!("{}\nexec {}", exports.join("\n"), localise(serve, care, port));
    let serving = Command::new("bash")
        .args(["-c", &serve_script])
        .current_dir(root())
        .env_remove("CARE_CONFIG")
        .env_remove("CARE_PORT")
        .stdout(Stdio::null())
        .stderr(
            std::fs::File::create(&log)
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        )
        .spawn()
        .unwrap_or_else(|e| panic!("starting serve: {e}"));
    let _serving = Killed(serving);
    assert!(
        up(port, Duration::from_secs(60)),
        "`{serve}` did not come up: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    let steps = commands(&found[1]);
    assert!(steps.len() >= 5, "the second block walks the API: {steps:?}");
    let mut script = String::from("set -u\n");
    script.push_str(&exports.join("\n"));
    script.push('\n');
    for (i, step) in steps.iter().enumerate() {
        script.push_str(&format!(
            "echo '@@step {i}'\n{{ {}\n}} 2>&1\necho \"@@rc {i} $?\"\n",
            localise(step, care, port)
        ));
    }
    let mut walk = Command::new("bash")
        .args(["-c", &script])
        .current_dir(root())
        .env_remove("CARE_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("running the walk: {e}"));
    let deadline = Instant::now() + Duration::from_secs(100);
    while walk.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = walk.kill();
            panic!("the walk took longer than 100 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut output = String::new();
    if let Some(mut out) = walk.stdout.take() {
        let _ = out.read_to_string(&mut output);
    }
    for (i, step) in steps.iter().enumerate() {
        let begin = format!("@@step {i}\n");
        let end = format!("@@rc {i} ");
        let Some(from) = output.find(&begin) else {
            panic!("step {i} never ran: `{step}`\n{output}")
        };
        let body = &output[from + begin.len()..];
        let to = body
            .find(&end)
            .unwrap_or_else(|| panic!("step {i} never ended: `{step}`\n{output}"));
        let said = &body[..to];
        let rc = body[to + end.len()..].lines().next().unwrap_or("?");
        assert_eq!(rc, "0", "README step {i} failed: `{step}`\nit said: {said}");
        if let Some(expected) = expectation(step) {
            assert!(
                said.contains(&expected),
                "README step {i} (`{step}`) should answer `{expected}`; it said: {said}"
            );
        }
    }
}

#[test]
fn steps_are_read_with_their_expectations() {
    let block: Vec<String> = [
        "# a comment",
        "curl -fsS http://127.0.0.1:8080/x   # → \"ok\"",
        "curl -X POST \\",
        "     -d '{}' http://127.0.0.1:8080/y   # → (204 or 200)",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let steps = commands(&block);
    assert_eq!(steps.len(), 2);
    assert_eq!(expectation(&steps[0]).as_deref(), Some("\"ok\""));
    assert_eq!(expectation(&steps[1]), None);
    assert!(localise(&steps[1], "care", 9).contains("127.0.0.1:9/y"));
}

//! Embeds the built console in the Lambda when `CARE_CONSOLE_DIST` names its folder (`make
//! deploy` sets it after building console/ with npm). Without it nothing is embedded and nothing
//! needs Node: `cargo build` works on a machine without npm, and `care serve` reads the folder
//! at run time instead.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if path.is_dir() {
            files(&path, &format!("{prefix}{name}/"), out);
        } else if !name.ends_with(".map") {
            out.push((format!("{prefix}{name}"), path));
        }
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=CARE_CONSOLE_DIST");
    let mut found = Vec::new();
    if let Some(dir) = std::env::var_os("CARE_CONSOLE_DIST") {
        let dir = PathBuf::from(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        files(&dir, "", &mut found);
        if !found.iter().any(|(n, _)| n == "index.html") {
            println!(
                "cargo:warning=CARE_CONSOLE_DIST={} has no index.html: the console is not embedded",
                dir.display()
            );
            found.clear();
        }
    }
    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in &found {
        let _ = writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("console_assets.rs");
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
    }
}

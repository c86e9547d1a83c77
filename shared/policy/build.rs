//! Builds the starter pack of custom policies (the repository's `policies/`) into the crate, so the demo
//! and the Lambda functions ("bundled" policies) need nothing but their binary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("../../policies");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    files.sort();
    let mut code = String::from(
        "/// The starter pack: (origin, YAML) per policy file.\npub const STARTER_POLICIES: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let origin = file.strip_prefix(manifest.join("../..")).unwrap_or(file).display().to_string();
        let _ = writeln!(code, "    ({origin:?}, include_str!({:?})),", file.display().to_string());
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("starter_policies.rs");
    if let Err(error) = std::fs::write(&out, code) {
        panic!("cannot write {}: {error}", out.display());
    }
}

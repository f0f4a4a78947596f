//! The docs' command lines against the CLI: every `zkinfer SUBCOMMAND ... --flag` a Markdown file
//! of the repository shows, in a code block or an inline code span, names a subcommand that
//! exists and flags that subcommand accepts (its `--help` lists them). Docs that teach a flag
//! the CLI lost, or never had, fail here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use zkinfer_tests::shared_data::repo;

/// Every Markdown file of the repository outside build output, vendored code and node_modules.
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if ![
                "target",
                "vendor",
                "node_modules",
                ".git",
                "pkg",
                "research",
            ]
            .contains(&name.as_str())
            {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// The code in a Markdown text: code blocks line by line (a line ending in `\` joined with the
/// next) and inline code spans.
fn code_snippets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            let l = line.trim_end();
            if let Some(head) = l.strip_suffix('\\') {
                pending.push_str(head);
                pending.push(' ');
            } else {
                pending.push_str(l);
                out.push(std::mem::take(&mut pending));
            }
        } else {
            for (i, span) in line.split('`').enumerate() {
                if i % 2 == 1 {
                    out.push(span.to_string());
                }
            }
        }
    }
    out
}

/// `(subcommand path, flags)` of each `zkinfer SUB ...` command in a snippet; `cargo run ...
/// --bin zkinfer -- SUB ...` counts too. A comment (`#` after a space) ends the command.
fn commands(snippet: &str, subcommands: &[String]) -> Vec<(Vec<String>, Vec<String>)> {
    let code = snippet.split(" #").next().unwrap_or_default();
    let words: Vec<&str> = code.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        // `zkinfer SUB`, `.../zkinfer SUB`, or cargo's `--bin zkinfer -- SUB`.
        let cargo_run =
            *w == "--" && i >= 2 && words[i - 1] == "zkinfer" && words[i - 2] == "--bin";
        if !(*w == "zkinfer" || w.ends_with("/zkinfer") || cargo_run) {
            continue;
        }
        let after = i + 1;
        let Some(sub) = words.get(after) else {
            continue;
        };
        if !subcommands.iter().any(|s| s == sub) {
            continue;
        }
        let mut path = vec![sub.to_string()];
        let mut rest = after + 1;
        // `retrieval` has subcommands of its own.
        if *sub == "retrieval" {
            if let Some(inner) = words.get(rest).filter(|w| !w.starts_with('-')) {
                if ["commit", "respond", "spot-check", "verify"].contains(inner) {
                    path.push(inner.to_string());
                    rest += 1;
                }
            }
        }
        let flags = words[rest..]
            .iter()
            .take_while(|w| **w != "zkinfer" && **w != "&&" && **w != "|")
            .filter_map(|w| {
                let w = w.trim_start_matches(['[', '(']);
                let flag: String = w
                    .strip_prefix("--")?
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                (!flag.is_empty()).then(|| format!("--{flag}"))
            })
            .collect();
        out.push((path, flags));
    }
    out
}

fn help(path: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(path)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zkinfer {} --help failed",
        path.join(" ")
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_flag_the_docs_name_is_one_the_cli_accepts() {
    let top = help(&[]);
    // Subcommands as `zkinfer --help` lists them: "  name  description".
    let subcommands: Vec<String> = top
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    assert!(
        subcommands.iter().any(|s| s == "evaluate"),
        "{subcommands:?}"
    );

    let mut files = Vec::new();
    markdown_files(&repo(), &mut files);
    files.sort();
    let mut helps: BTreeMap<Vec<String>, String> = BTreeMap::new();
    let (mut checked, mut wrong) = (0, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for snippet in code_snippets(&text) {
            for (path, flags) in commands(&snippet, &subcommands) {
                let h = helps.entry(path.clone()).or_insert_with(|| help(&path));
                for flag in flags {
                    checked += 1;
                    // A flag is listed as "--flag" followed by a space, "=", "," or the line end.
                    let listed = h.lines().any(|l| {
                        l.split([' ', ',', '=', '[', '<'])
                            .any(|w| w == flag.as_str())
                    });
                    if !listed && flag != "--help" {
                        wrong.push(format!(
                            "{}: `zkinfer {} {flag}`",
                            file.strip_prefix(repo()).unwrap_or(file).display(),
                            path.join(" ")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} flags found in the docs: is the parser broken?"
    );
    assert!(
        wrong.is_empty(),
        "flags the docs name that the CLI does not accept:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_docs_parser_finds_commands_in_blocks_spans_and_continued_lines() {
    let subs = [
        "compile".to_string(),
        "verify".to_string(),
        "retrieval".to_string(),
    ];
    let text = "Run `zkinfer compile m.onnx --calibration c.json` then\n\
                ```sh\n\
                zkinfer verify key p --model-id X \\\n    --setup D   # --not-a-flag\n\
                cargo run --release -p zkinfer-prover --bin zkinfer -- compile m [--weights fixed]\n\
                zkinfer retrieval verify r --root R\n\
                ```\n";
    let found: Vec<_> = code_snippets(text)
        .iter()
        .flat_map(|s| commands(s, &subs))
        .collect();
    let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        found,
        vec![
            (strs(&["compile"]), strs(&["--calibration"])),
            (strs(&["verify"]), strs(&["--model-id", "--setup"])),
            (strs(&["compile"]), strs(&["--weights"])),
            (strs(&["retrieval", "verify"]), strs(&["--root"])),
        ]
    );
}

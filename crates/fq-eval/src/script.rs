//! Scripts: q source files as kdb+ reads them (manual §19).
//!
//! - a line starting with whitespace continues the previous statement;
//! - `/` alone on a line opens a comment block closed by `\` alone on a line;
//! - a line starting with `/` is a comment;
//! - `\` alone on a line (outside a comment block) ends the script;
//! - a line starting with `\` is a system command.

use crate::interp::Interp;
use fq_value::{QResult, Value};

/// One unit of a script: q code or a system command, with its first line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk {
    /// q source (possibly several lines joined by continuation).
    Code(String, usize),
    /// A system command without its backslash.
    System(String, usize),
}

/// Split a script into chunks.
pub fn chunks(src: &str) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    let mut in_block = false;
    for (n, raw) in src.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if in_block {
            if line.trim_end() == "\\" {
                in_block = false;
            }
            continue;
        }
        if line.trim_end() == "/" {
            in_block = true;
            continue;
        }
        if line.trim_end() == "\\" {
            break;
        }
        if line.starts_with('/') {
            continue;
        }
        if let Some(cmd) = line.strip_prefix('\\') {
            out.push(Chunk::System(cmd.to_string(), n + 1));
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(|c: char| c.is_whitespace()) {
            if let Some(Chunk::Code(code, _)) = out.last_mut() {
                code.push('\n');
                code.push_str(line);
                continue;
            }
        }
        out.push(Chunk::Code(line.to_string(), n + 1));
    }
    out
}

/// Run a script, stopping at the first error.
pub fn run_script(i: &mut Interp, src: &str) -> QResult<Value> {
    let mut last = fq_value::GENERIC_NULL;
    for c in chunks(src) {
        last = match c {
            Chunk::Code(code, _) => i.eval_str(&code)?,
            Chunk::System(cmd, _) => crate::system::command(i, &cmd)?,
        };
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure() {
        let s = "a:1\n/ comment\nf:{x+\n  y}\n/\nblock\n\\\n\\c 10 20\nb:2\n\\\nc:3\n";
        let c = chunks(s);
        assert_eq!(
            c,
            vec![
                Chunk::Code("a:1".into(), 1),
                Chunk::Code("f:{x+\n  y}".into(), 3),
                Chunk::System("c 10 20".into(), 8),
                Chunk::Code("b:2".into(), 9),
            ]
        );
    }
}

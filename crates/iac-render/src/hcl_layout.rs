//! Terraform's own layout for the HCL that `hcl-rs` writes: the `=` signs of a run of one-line
//! assignments line up, as `terraform fmt` lines them up.
//!
//! `hcl-rs`'s formatter has no alignment, so its text is post-processed line by line with the
//! rule of Terraform's formatter (`hclwrite`): a line *assigns* when its first `=` token (not
//! the first token of the line) is followed by a whole expression, brackets balanced to the end
//! of the line; consecutive assigning lines form a run, which any other line (blank, comment,
//! block opening or closing, multi-line value) ends; in a run, every `=` moves to one column
//! after the widest text before an `=`, widths counted in grapheme clusters. Argument and object
//! item lines are treated alike, at any depth. Strings, template interpolations, comments and
//! heredocs are skipped, so an `=` inside them never counts. The result is deterministic.

use unicode_segmentation::UnicodeSegmentation;

/// `text` with the `=` of every run of one-line assignments aligned, the layout `terraform fmt`
/// gives it.
pub(crate) fn align_assignments(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut scanner = Scanner::default();
    let kinds: Vec<Line> = lines.iter().map(|line| scanner.line(line)).collect();

    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut i = 0;
    while i < lines.len() {
        if !matches!(kinds[i], Line::Assign(_)) {
            out.push_str(lines[i]);
            push_newline(&mut out, i, lines.len());
            i += 1;
            continue;
        }
        let end = (i..lines.len()).find(|&j| kinds[j] == Line::Other).unwrap_or(lines.len());
        let lead = |j: usize, at: usize| lines[j][..at].trim_end();
        let widest = (i..end)
            .filter_map(|j| match kinds[j] {
                Line::Assign(at) => Some(lead(j, at).graphemes(true).count()),
                Line::Heredoc | Line::Other => None,
            })
            .max()
            .unwrap_or(0);
        for j in i..end {
            if let Line::Assign(at) = kinds[j] {
                let head = lead(j, at);
                out.push_str(head);
                out.extend(std::iter::repeat_n(' ', widest - head.graphemes(true).count() + 1));
                out.push_str(&lines[j][at..]);
            } else {
                out.push_str(lines[j]);
            }
            push_newline(&mut out, j, lines.len());
        }
        i = end;
    }
    out
}

/// How a line takes part in alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// A one-line assignment, its `=` at this byte.
    Assign(usize),
    /// Inside a heredoc, or its closing marker: part of the line that opened it, for Terraform.
    Heredoc,
    /// Anything else: it ends a run.
    Other,
}

fn push_newline(out: &mut String, i: usize, count: usize) {
    if i + 1 < count {
        out.push('\n');
    }
}

/// What the lexer is inside of, within one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A quoted string (a template).
    Quoted,
    /// An interpolation or directive inside a string, with its own `{` depth.
    Interpolation(usize),
}

/// A line-by-line HCL lexer that knows what spans lines: heredocs and block comments.
#[derive(Debug, Default)]
struct Scanner {
    /// The closing marker of the heredoc being read.
    heredoc: Option<String>,
    /// Inside a `/* ... */` comment.
    comment: bool,
}

impl Scanner {
    /// What `line` is, the lines before it read.
    fn line(&mut self, line: &str) -> Line {
        if let Some(marker) = &self.heredoc {
            if line.trim() == marker {
                self.heredoc = None;
            }
            return Line::Heredoc;
        }
        self.assign(line).map_or(Line::Other, Line::Assign)
    }

    /// The byte index of the `=` that makes `line` an assignment, if it is one.
    fn assign(&mut self, line: &str) -> Option<usize> {
        let bytes = line.as_bytes();
        let mut modes: Vec<Mode> = Vec::new();
        let mut seen_token = false;
        let mut equals: Option<usize> = None;
        let mut net = 0i64;
        let mut i = 0;
        while i < bytes.len() {
            if self.comment {
                match line[i..].find("*/") {
                    Some(at) => {
                        self.comment = false;
                        i += at + 2;
                        continue;
                    }
                    None => break,
                }
            }
            let rest = &bytes[i..];
            let counting = equals.is_some();
            match modes.last().copied() {
                Some(Mode::Quoted) => {
                    i += quoted(rest, &mut modes, &mut net, counting);
                    continue;
                }
                Some(Mode::Interpolation(depth)) => match rest[0] {
                    b'{' => {
                        modes.pop();
                        modes.push(Mode::Interpolation(depth + 1));
                    }
                    b'}' if depth == 0 => {
                        modes.pop();
                        net -= i64::from(counting);
                        i += 1;
                        continue;
                    }
                    b'}' => {
                        modes.pop();
                        modes.push(Mode::Interpolation(depth - 1));
                    }
                    _ => {}
                },
                None => {}
            }
            match rest {
                [b' ' | b'\t' | b'\r', ..] => i += 1,
                [b'#', ..] | [b'/', b'/', ..] | [] => break,
                [b'/', b'*', ..] => {
                    self.comment = true;
                    i += 2;
                }
                [b'"', ..] => {
                    seen_token = true;
                    modes.push(Mode::Quoted);
                    i += 1;
                }
                [b'<', b'<', ..] if modes.is_empty() => {
                    let marker = line[i + 2..].trim_start_matches('-').trim();
                    if !marker.is_empty() && marker.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                        self.heredoc = Some(marker.to_owned());
                        // Terraform stops counting brackets at a heredoc's opening.
                        break;
                    }
                    i += 2;
                }
                [b'=' | b'!' | b'<' | b'>', b'=', ..] | [b'=', b'>', ..] => {
                    seen_token = true;
                    i += 2;
                }
                [b'=', ..] => {
                    if equals.is_none() && seen_token && modes.is_empty() {
                        equals = Some(i);
                    }
                    seen_token = true;
                    i += 1;
                }
                [b, ..] => {
                    if counting {
                        match b {
                            b'(' | b'[' | b'{' => net += 1,
                            b')' | b']' | b'}' => net -= 1,
                            _ => {}
                        }
                    }
                    seen_token = true;
                    i += 1;
                }
            }
        }
        equals.filter(|_| net == 0)
    }
}

/// One step inside a quoted string at `rest`: the bytes it takes. An interpolation's `${` opens
/// a bracket (counted in `net` when `counting`), as Terraform counts it.
fn quoted(rest: &[u8], modes: &mut Vec<Mode>, net: &mut i64, counting: bool) -> usize {
    match rest {
        [b'\\', ..] => 2,
        [b'$' | b'%', b'$' | b'%', b'{', ..] if rest[0] == rest[1] => 3,
        [b'$' | b'%', b'{', ..] => {
            modes.push(Mode::Interpolation(0));
            *net += i64::from(counting);
            2
        }
        [b'"', ..] => {
            modes.pop();
            1
        }
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::align_assignments;

    #[test]
    fn a_run_of_one_line_assignments_is_aligned() {
        let text = "resource \"aws_vpc\" \"vpc\" {\n  cidr_block = \"10.0.0.0/16\"\n  enable_dns_hostnames = true\n  tags = {\n    Name = \"a\"\n    \"iac:stack\" = \"demo\"\n  }\n  x = 1\n}\n";
        let want = "resource \"aws_vpc\" \"vpc\" {\n  cidr_block           = \"10.0.0.0/16\"\n  enable_dns_hostnames = true\n  tags = {\n    Name        = \"a\"\n    \"iac:stack\" = \"demo\"\n  }\n  x = 1\n}\n";
        assert_eq!(align_assignments(text), want);
    }

    #[test]
    fn equals_signs_in_strings_comments_and_operators_do_not_count() {
        let text =
            "a = \"k=v ${x == 1 ? \"=\" : \"}\"}\"\nb = 1\n#checkov:skip=X:y\nlonger_name = a != b\nc = { d = 1 }\n";
        let want = "a = \"k=v ${x == 1 ? \"=\" : \"}\"}\"\nb = 1\n#checkov:skip=X:y\nlonger_name = a != b\nc           = { d = 1 }\n";
        assert_eq!(align_assignments(text), want);
    }

    #[test]
    fn a_multi_line_value_ends_the_run() {
        let text = "ab = [\n  x,\n]\nabcdef = 1\ng = 2\ndepends_on = [\n  y\n]\n";
        let want = "ab = [\n  x,\n]\nabcdef = 1\ng      = 2\ndepends_on = [\n  y\n]\n";
        assert_eq!(align_assignments(text), want);
    }

    #[test]
    fn heredoc_lines_neither_align_nor_end_a_run() {
        let text = "s = <<EOT\nk = v\nlong_key = w\nEOT\nt = 1\nlonger = 2\n";
        let want = "s      = <<EOT\nk = v\nlong_key = w\nEOT\nt      = 1\nlonger = 2\n";
        assert_eq!(align_assignments(text), want);
    }

    #[test]
    fn widths_count_grapheme_clusters() {
        let text = "x = {\n  \"e\u{301}e\" = 1\n  \"ab\" = 2\n  abcde = 3\n}\n";
        let want = "x = {\n  \"e\u{301}e\"  = 1\n  \"ab\"  = 2\n  abcde = 3\n}\n";
        assert_eq!(align_assignments(text), want);
    }
}

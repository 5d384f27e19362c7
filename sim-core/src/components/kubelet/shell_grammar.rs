//! The grammar of the small POSIX shell a container's `sh` runs (issue 11):
//! a command line parsed into lists, and-or chains, pipelines and simple
//! commands with assignments, words and redirections; words expanded with
//! the shell's variables. Parsing follows the POSIX Shell Command Language
//! (2.2 quoting, 2.3 token recognition, 2.6 word expansions, 2.7
//! redirection, 2.9 shell commands) for what a learner types; the syntax
//! errors are dash's (Debian's and Ubuntu's `/bin/sh`), which busybox's ash
//! shares in substance.
//!
//! Not modelled: compound commands (`if`, `for`, `while`, `case`, `{ }`,
//! `( )`), functions, here-documents, command substitution, arithmetic,
//! globbing, background jobs (`&` runs the command in the foreground).
//! Every size is bounded: a line of at most [`MAX_LINE_BYTES`] bytes and
//! [`MAX_COMMANDS`] simple commands.

use std::collections::BTreeMap;

/// The longest command line the shell reads.
pub const MAX_LINE_BYTES: usize = 4096;
/// The most simple commands in one line.
pub const MAX_COMMANDS: usize = 64;

/// A parsed line: and-or chains run in order (`;`, `&` or a newline between
/// them).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Script {
    /// The chains.
    pub chains: Vec<AndOr>,
}

/// Pipelines joined by `&&` and `||`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndOr {
    /// The first pipeline.
    pub first: Pipeline,
    /// The others, each with the operator before it.
    pub rest: Vec<(Connector, Pipeline)>,
}

/// `&&` or `||`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: run when the last status was 0.
    And,
    /// `||`: run when it was not.
    Or,
}

/// Commands joined by `|`, optionally negated with `!`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// `!`: the status is inverted.
    pub negated: bool,
    /// The commands, left to right.
    pub commands: Vec<Command>,
}

/// A simple command.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Command {
    /// `NAME=value` words before the command name.
    pub assignments: Vec<(String, Word)>,
    /// The command name and its arguments.
    pub words: Vec<Word>,
    /// Redirections, in order.
    pub redirections: Vec<Redirection>,
}

/// A redirection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirection {
    /// The file descriptor redirected (0 for `<`, 1 for `>` by default).
    pub fd: u32,
    /// What is done.
    pub op: RedirectOp,
}

/// The redirection operators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectOp {
    /// `< file`.
    Read(Word),
    /// `> file`.
    Write(Word),
    /// `>> file`.
    Append(Word),
    /// `>&N`: a duplicate of descriptor N (`2>&1`).
    Duplicate(u32),
}

/// A word: parts concatenated.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Word {
    /// The parts, in order.
    pub parts: Vec<Part>,
}

/// A part of a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Characters taken as they are (quoted or not).
    Literal {
        /// The text.
        text: String,
        /// Inside quotes (or escaped): not split into fields.
        quoted: bool,
    },
    /// `$NAME`, `${NAME}` or `$?`.
    Variable {
        /// The name (`?` for the last status).
        name: String,
        /// Inside double quotes: not split into fields.
        quoted: bool,
    },
}

/// A line the shell refuses, with dash's message (after `sh: 1: `).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    /// A quote left open.
    #[error("Syntax error: Unterminated quoted string")]
    Unterminated,
    /// A token where it cannot be, named as dash names it (operators in
    /// quotes: `"|"`; `newline`, `word`).
    #[error("Syntax error: {0} unexpected")]
    Unexpected(String),
    /// A line that ends where a word or command was expected.
    #[error("Syntax error: end of file unexpected")]
    EndOfFile,
    /// `${` without its `}`, or a name that is not one.
    #[error("Syntax error: Bad substitution")]
    BadSubstitution,
    /// Over [`MAX_LINE_BYTES`] or [`MAX_COMMANDS`].
    #[error("line too long (kubesim's limit: {MAX_LINE_BYTES} bytes, {MAX_COMMANDS} commands)")]
    TooLong,
}

/// A token of the line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(Word),
    /// `;`, `&`, a newline.
    Separator(&'static str),
    AndIf,
    OrIf,
    Pipe,
    Bang,
    /// A redirection operator with its optional descriptor.
    Redirect(Option<u32>, &'static str),
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// Splits a line into tokens (POSIX 2.3).
fn tokenize(line: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '#' => break,
            ';' if chars.get(i + 1) == Some(&';') => {
                // `;;` ends a case item: a token of its own, out of place here.
                out.push(Token::Separator(";;"));
                i += 2;
            }
            '\n' | ';' => {
                out.push(Token::Separator(if c == ';' { ";" } else { "\n" }));
                i += 1;
            }
            '&' if chars.get(i + 1) == Some(&'&') => {
                out.push(Token::AndIf);
                i += 2;
            }
            '&' => {
                out.push(Token::Separator("&"));
                i += 1;
            }
            '|' if chars.get(i + 1) == Some(&'|') => {
                out.push(Token::OrIf);
                i += 2;
            }
            '|' => {
                out.push(Token::Pipe);
                i += 1;
            }
            '<' | '>' => {
                let (op, len) = redirect_op(&chars[i..]);
                out.push(Token::Redirect(None, op));
                i += len;
            }
            _ => {
                // A descriptor number directly before a redirection.
                let digits = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits > 0 && matches!(chars.get(i + digits), Some('<' | '>')) {
                    let fd: String = chars[i..i + digits].iter().collect();
                    let (op, len) = redirect_op(&chars[i + digits..]);
                    out.push(Token::Redirect(fd.parse().ok(), op));
                    i += digits + len;
                    continue;
                }
                let (word, next) = read_word(&chars, i)?;
                let bang = word.parts
                    == [Part::Literal {
                        text: "!".to_owned(),
                        quoted: false,
                    }];
                out.push(if bang { Token::Bang } else { Token::Word(word) });
                i = next;
            }
        }
    }
    Ok(out)
}

fn redirect_op(chars: &[char]) -> (&'static str, usize) {
    match (chars.first(), chars.get(1)) {
        (Some('>'), Some('>')) => (">>", 2),
        (Some('>'), Some('&')) => (">&", 2),
        (Some('>'), _) => (">", 1),
        _ => ("<", 1),
    }
}

/// Reads one word from `i`: until an unquoted blank or operator.
fn read_word(chars: &[char], mut i: usize) -> Result<(Word, usize), SyntaxError> {
    let mut word = Word::default();
    let mut lit = String::new();
    let mut lit_quoted = false;
    let flush = |word: &mut Word, lit: &mut String, quoted: bool| {
        if !lit.is_empty() {
            word.parts.push(Part::Literal {
                text: std::mem::take(lit),
                quoted,
            });
        }
    };
    // Appends literal text, starting a new part when the quoting changes.
    macro_rules! push_lit {
        ($s:expr, $q:expr) => {{
            if lit_quoted != $q {
                flush(&mut word, &mut lit, lit_quoted);
                lit_quoted = $q;
            }
            lit.push_str($s);
        }};
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' => break,
            '\\' => {
                match chars.get(i + 1) {
                    Some('\n') => {}
                    Some(&n) => push_lit!(&n.to_string(), true),
                    None => push_lit!("\\", false),
                }
                i += 2;
            }
            '\'' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '\'')
                    .ok_or(SyntaxError::Unterminated)?;
                let text: String = chars[i + 1..i + 1 + end].iter().collect();
                // '' is an empty quoted word.
                if text.is_empty() {
                    flush(&mut word, &mut lit, lit_quoted);
                    lit_quoted = true;
                    word.parts.push(Part::Literal {
                        text: String::new(),
                        quoted: true,
                    });
                } else {
                    push_lit!(&text, true);
                }
                i += end + 2;
            }
            '"' => {
                i += 1;
                let mut any = false;
                loop {
                    match chars.get(i) {
                        None => return Err(SyntaxError::Unterminated),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\')
                            if matches!(chars.get(i + 1), Some('$' | '`' | '"' | '\\' | '\n')) =>
                        {
                            if chars[i + 1] != '\n' {
                                push_lit!(&chars[i + 1].to_string(), true);
                            }
                            i += 2;
                        }
                        Some('$') => match read_variable(chars, i)? {
                            Some((name, next)) => {
                                flush(&mut word, &mut lit, lit_quoted);
                                word.parts.push(Part::Variable { name, quoted: true });
                                i = next;
                            }
                            None => {
                                push_lit!("$", true);
                                i += 1;
                            }
                        },
                        Some(&c) => {
                            push_lit!(&c.to_string(), true);
                            i += 1;
                        }
                    }
                    any = true;
                }
                if !any {
                    flush(&mut word, &mut lit, lit_quoted);
                    word.parts.push(Part::Literal {
                        text: String::new(),
                        quoted: true,
                    });
                }
            }
            '$' => match read_variable(chars, i)? {
                Some((name, next)) => {
                    flush(&mut word, &mut lit, lit_quoted);
                    word.parts.push(Part::Variable {
                        name,
                        quoted: false,
                    });
                    i = next;
                }
                None => {
                    push_lit!("$", false);
                    i += 1;
                }
            },
            _ => {
                push_lit!(&c.to_string(), false);
                i += 1;
            }
        }
    }
    flush(&mut word, &mut lit, lit_quoted);
    Ok((word, i))
}

/// `$NAME`, `${NAME}` or `$?` at `i` (a `$`): the name and where the word
/// goes on; None for a `$` that starts no expansion (taken literally).
fn read_variable(chars: &[char], i: usize) -> Result<Option<(String, usize)>, SyntaxError> {
    match chars.get(i + 1) {
        Some('?') => Ok(Some(("?".to_owned(), i + 2))),
        Some('{') => {
            let end = chars[i + 2..]
                .iter()
                .position(|&c| c == '}')
                .ok_or(SyntaxError::BadSubstitution)?;
            let name: String = chars[i + 2..i + 2 + end].iter().collect();
            let valid = name == "?"
                || (name.chars().next().is_some_and(is_name_start)
                    && name.chars().all(is_name_char));
            if !valid {
                return Err(SyntaxError::BadSubstitution);
            }
            Ok(Some((name, i + 3 + end)))
        }
        Some(&c) if is_name_start(c) => {
            let len = chars[i + 1..]
                .iter()
                .take_while(|&&c| is_name_char(c))
                .count();
            Ok(Some((
                chars[i + 1..i + 1 + len].iter().collect(),
                i + 1 + len,
            )))
        }
        _ => Ok(None),
    }
}

/// Parses a command line.
pub fn parse(line: &str) -> Result<Script, SyntaxError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(SyntaxError::TooLong);
    }
    let tokens = tokenize(line)?;
    let mut p = Parser {
        tokens,
        at: 0,
        commands: 0,
    };
    let mut script = Script::default();
    loop {
        while let Some(t @ Token::Separator(s)) = p.peek() {
            if *s != "\n" {
                return Err(SyntaxError::Unexpected(token_text(t)));
            }
            p.at += 1;
        }
        if p.peek().is_none() {
            return Ok(script);
        }
        script.chains.push(p.and_or()?);
        match p.peek() {
            None => return Ok(script),
            Some(Token::Separator(s)) if *s != ";;" => {
                p.at += 1;
                // `a; ; b` is an error, `a;` and `a; b` are not.
                if let Some(t @ Token::Separator(s)) = p.peek() {
                    if *s != "\n" {
                        return Err(SyntaxError::Unexpected(token_text(t)));
                    }
                }
            }
            Some(t) => return Err(SyntaxError::Unexpected(token_text(t))),
        }
    }
}

/// The token's name in dash's messages (parser.c `tokname`).
fn token_text(t: &Token) -> String {
    let op = match t {
        Token::Word(_) => return "word".to_owned(),
        Token::Separator("\n") => return "newline".to_owned(),
        Token::Separator(s) => *s,
        Token::AndIf => "&&",
        Token::OrIf => "||",
        Token::Pipe => "|",
        Token::Bang => "!",
        Token::Redirect(_, op) => op,
    };
    format!("\"{op}\"")
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    commands: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn and_or(&mut self) -> Result<AndOr, SyntaxError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let connector = match self.peek() {
                Some(Token::AndIf) => Connector::And,
                Some(Token::OrIf) => Connector::Or,
                _ => return Ok(AndOr { first, rest }),
            };
            self.at += 1;
            self.skip_newlines();
            rest.push((connector, self.pipeline()?));
        }
    }

    fn skip_newlines(&mut self) {
        while self.peek() == Some(&Token::Separator("\n")) {
            self.at += 1;
        }
    }

    fn pipeline(&mut self) -> Result<Pipeline, SyntaxError> {
        let negated = self.peek() == Some(&Token::Bang);
        if negated {
            self.at += 1;
        }
        let mut commands = vec![self.command()?];
        while self.peek() == Some(&Token::Pipe) {
            self.at += 1;
            self.skip_newlines();
            commands.push(self.command()?);
        }
        Ok(Pipeline { negated, commands })
    }

    fn command(&mut self) -> Result<Command, SyntaxError> {
        self.commands += 1;
        if self.commands > MAX_COMMANDS {
            return Err(SyntaxError::TooLong);
        }
        let mut cmd = Command::default();
        loop {
            match self.peek().cloned() {
                Some(Token::Word(w)) => {
                    self.at += 1;
                    match assignment(&w).filter(|_| cmd.words.is_empty()) {
                        Some(a) => cmd.assignments.push(a),
                        None => cmd.words.push(w),
                    }
                }
                Some(Token::Redirect(fd, op)) => {
                    self.at += 1;
                    let target = match self.peek().cloned() {
                        Some(Token::Word(w)) => w,
                        Some(t) => return Err(SyntaxError::Unexpected(token_text(&t))),
                        None => return Err(SyntaxError::Unexpected("newline".to_owned())),
                    };
                    self.at += 1;
                    let op = match op {
                        "<" => RedirectOp::Read(target),
                        ">>" => RedirectOp::Append(target),
                        ">&" => match literal(&target).and_then(|t| t.parse().ok()) {
                            Some(n) => RedirectOp::Duplicate(n),
                            // `>&file` is `>file 2>&1` in bash; dash refuses.
                            None => return Err(SyntaxError::Unexpected("word".to_owned())),
                        },
                        _ => RedirectOp::Write(target),
                    };
                    let default_fd = u32::from(op_writes(&op));
                    cmd.redirections.push(Redirection {
                        fd: fd.unwrap_or(default_fd),
                        op,
                    });
                }
                Some(t)
                    if cmd.words.is_empty()
                        && cmd.assignments.is_empty()
                        && cmd.redirections.is_empty() =>
                {
                    return Err(SyntaxError::Unexpected(token_text(&t)));
                }
                None if cmd.words.is_empty()
                    && cmd.assignments.is_empty()
                    && cmd.redirections.is_empty() =>
                {
                    return Err(SyntaxError::EndOfFile);
                }
                _ => return Ok(cmd),
            }
        }
    }
}

fn op_writes(op: &RedirectOp) -> bool {
    !matches!(op, RedirectOp::Read(_))
}

/// The text of a word made of literal parts only.
fn literal(w: &Word) -> Option<String> {
    w.parts
        .iter()
        .map(|p| match p {
            Part::Literal { text, .. } => Some(text.as_str()),
            Part::Variable { .. } => None,
        })
        .collect()
}

/// `NAME=value`: the name unquoted and valid, before the first `=`.
fn assignment(w: &Word) -> Option<(String, Word)> {
    let Some(Part::Literal {
        text,
        quoted: false,
    }) = w.parts.first()
    else {
        return None;
    };
    let eq = text.find('=')?;
    let name = &text[..eq];
    if !(name.chars().next().is_some_and(is_name_start) && name.chars().all(is_name_char)) {
        return None;
    }
    let mut value = Word::default();
    if eq + 1 < text.len() {
        value.parts.push(Part::Literal {
            text: text[eq + 1..].to_owned(),
            quoted: false,
        });
    }
    value.parts.extend(w.parts[1..].iter().cloned());
    Some((name.to_owned(), value))
}

/// Expands a word into fields (POSIX 2.6: parameter expansion, then field
/// splitting of unquoted expansions at blanks, then quote removal): most
/// words give one field; an unquoted variable holding spaces gives several,
/// an unquoted empty one none.
pub fn expand(word: &Word, vars: &BTreeMap<String, String>, status: i32) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    // The field being built, and whether anything (even "") was quoted in it.
    let mut current: Option<String> = None;
    for part in &word.parts {
        match part {
            Part::Literal { text, .. } => current.get_or_insert_with(String::new).push_str(text),
            Part::Variable { name, quoted } => {
                let value = match name.as_str() {
                    "?" => status.to_string(),
                    _ => vars.get(name).cloned().unwrap_or_default(),
                };
                if *quoted {
                    current.get_or_insert_with(String::new).push_str(&value);
                    continue;
                }
                let pieces = value.split([' ', '\t', '\n']);
                let starts_blank = value.starts_with([' ', '\t', '\n']);
                if starts_blank {
                    if let Some(f) = current.take() {
                        fields.push(f);
                    }
                }
                let mut first = true;
                for piece in pieces {
                    if piece.is_empty() {
                        continue;
                    }
                    if !first || starts_blank {
                        if let Some(f) = current.take() {
                            fields.push(f);
                        }
                    }
                    current.get_or_insert_with(String::new).push_str(piece);
                    first = false;
                }
                if value.ends_with([' ', '\t', '\n']) {
                    if let Some(f) = current.take() {
                        fields.push(f);
                    }
                }
            }
        }
    }
    if let Some(f) = current {
        fields.push(f);
    }
    fields
}

#[cfg(test)]
mod tests;

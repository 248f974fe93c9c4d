//! RON syntax → a spanned tree ([`Node`]). A syntax error inside a list, tuple, map or
//! struct element is recorded and parsing goes on after the element (it becomes a
//! [`Value::Placeholder`]), so one pass reports every slip it can get past; an error it cannot
//! get past (an unclosed bracket or string at the end of the input) ends the parse.

use super::{BOM, Diagnostic, Span, diagnostic, line_col};

/// A value and the span covering all of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Char(char),
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// A bare name: a unit variant, `None`, a unit struct.
    Ident(String),
    /// `(a, b)`, `Name(a, b)`, `()`, `Some(x)`.
    Tuple(Option<Ident>, Vec<Node>),
    /// `(field: value, …)` or `Name(field: value, …)`.
    Struct(Option<Ident>, Vec<Field>),
    /// Never parsed: the value decoding fills in for a field a struct needs but left out,
    /// once that is reported, so decoding goes on to the file's other problems.
    Placeholder,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub value: Node,
}

type PResult<T> = Result<T, Diagnostic>;

/// Deeper nesting is rejected; this also keeps parser and deserializer recursion off the stack limit.
const MAX_DEPTH: usize = 100;

/// The most syntax errors one parse records before it stops at the next (a file of garbage
/// would otherwise give one for every token).
const MAX_ERRORS: usize = 20;

/// Parses one RON value (optionally after `#![…]` attributes) that must fill all of `src`;
/// the first syntax error, if any (see [`parse_all`] for all of them).
pub fn parse(src: &str) -> PResult<Node> {
    match parse_all(src) {
        (Some(node), errors) if errors.is_empty() => Ok(node),
        (_, mut errors) => Err(errors.remove(0)),
    }
}

/// Parses as [`parse`] does, going on past each syntax error in an element (see the module
/// docs): the tree, with a [`Value::Placeholder`] for each element that did not parse (`None`
/// when an error ended the parse), and every syntax error, in the order found (never empty
/// when the tree is `None`).
pub fn parse_all(src: &str) -> (Option<Node>, Vec<Diagnostic>) {
    let errors = std::cell::RefCell::new(Vec::new());
    let (pos, depth) = (0, 0);
    let mut p = Parser { src, pos, depth, multiline_string: None, errors: &errors };
    let node = (|| {
        p.ws()?;
        while p.rest().starts_with("#!") {
            p.attribute()?;
            p.ws()?;
        }
        if p.pos == src.len() {
            // Empty, or nothing but comments.
            let mut d = p.expected("a value");
            d.hint = Some(if src.contains('\r') && !src.contains('\n') {
                // Lines ended by CR alone (classic Mac OS): the first `//` comment runs to the
                // end of the file.
                "the file's lines end in a carriage return alone (CR, old Mac line endings), so its first `//` comment \
                 runs to its end; end them with LF (`tr '\\r' '\\n' < FILE > NEW.ron`)"
                    .into()
            } else {
                "the file is empty (or holds only comments): a scenario starts `Scenario(version: 1, …)` (`polity \
                 scenarios commons` prints one to start from), a sweep `Sweep(version: 1, …)`"
                    .into()
            });
            return Err(d);
        }
        let node = p.value()?;
        p.ws()?;
        if p.pos < src.len() {
            let msg = format!("unexpected {} after the value", p.found());
            let hint = "a file holds one value; is a bracket closed too early?";
            return Err(p.error_here(msg, hint));
        }
        Ok(node)
    })();
    let mut errors = errors.into_inner();
    match node {
        Ok(node) => (Some(node), errors),
        Err(d) => {
            errors.push(d);
            (None, errors)
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A syntax error; an empty `hint` means none.
fn diag(start: usize, end: usize, message: impl Into<String>, hint: &str) -> Diagnostic {
    let hint = (!hint.is_empty()).then(|| hint.to_string());
    diagnostic(Span { start, end }, String::new(), message.into(), hint)
}

/// Cursor over `src`; `pos` is always on a char boundary.
#[derive(Clone, Copy)]
struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    /// Where the last string literal that ran over a line break started: the usual sign of
    /// a missing closing quote when a syntax error follows.
    multiline_string: Option<usize>,
    /// The syntax errors parsing went on past.
    errors: &'a std::cell::RefCell<Vec<Diagnostic>>,
}

impl<'a> Parser<'a> {
    /// Records `d` and goes on when there is room for more errors; `Err(d)` when there is not.
    fn go_on_past(&self, d: Diagnostic) -> PResult<()> {
        let mut errors = self.errors.borrow_mut();
        if errors.len() + 1 >= MAX_ERRORS {
            return Err(d);
        }
        errors.push(d);
        Ok(())
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        self.pos += if hit { c.len_utf8() } else { 0 };
        hit
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.bump();
        }
        &self.src[start..self.pos]
    }

    /// The token at the cursor, for messages: its end offset and a description.
    fn token(&self) -> (usize, String) {
        let mut q = *self;
        let desc = match q.peek() {
            None => "end of input".to_string(),
            Some(c) if is_ident_start(c) => format!("`{}`", q.take_while(is_ident_char)),
            Some(c) if c.is_ascii_digit() => {
                q.take_while(|c| is_ident_char(c) || c == '.');
                "a number".into()
            }
            Some('"') => (q.bump(), "a string".into()).1,
            Some(c) => (q.bump(), format!("`{c}`")).1,
        };
        (q.pos, desc)
    }

    fn found(&self) -> String {
        self.token().1
    }

    fn error_here(&self, message: String, hint: &str) -> Diagnostic {
        diag(self.pos, self.token().0, message, hint)
    }

    fn expected(&self, what: &str) -> Diagnostic {
        self.error_here(format!("expected {what}, found {}", self.found()), "")
    }

    /// Eats `c` between optional whitespace.
    fn expect(&mut self, c: char, what: &str) -> PResult<()> {
        self.ws()?;
        if self.eat(c) {
            return self.ws();
        }
        Err(self.expected(what))
    }

    /// Skips whitespace, `// line` and nested `/* block */` comments.
    fn ws(&mut self) -> PResult<()> {
        loop {
            if self.rest().starts_with("//") {
                self.take_while(|c| c != '\n');
            } else if self.rest().starts_with("/*") {
                let (open, mut depth) = (self.pos, 0usize);
                loop {
                    if self.rest().starts_with("/*") {
                        (depth, self.pos) = (depth + 1, self.pos + 2);
                    } else if self.rest().starts_with("*/") {
                        (depth, self.pos) = (depth - 1, self.pos + 2);
                        if depth == 0 {
                            break;
                        }
                    } else if self.bump().is_none() {
                        let msg = "unterminated block comment";
                        return Err(diag(open, open + 2, msg, "add the closing `*/`"));
                    }
                }
            } else if self.peek().is_some_and(char::is_whitespace) || (self.pos == 0 && self.peek() == Some(BOM)) {
                // A byte-order mark, as some Windows editors save UTF-8, is no content.
                self.bump();
            } else {
                return Ok(());
            }
        }
    }

    /// Skips an inner attribute such as `#![enable(implicit_some)]`.
    fn attribute(&mut self) -> PResult<()> {
        let open = self.pos;
        self.pos += 2;
        let mut depth = 0;
        loop {
            match self.bump() {
                Some('[') => depth += 1,
                Some(']') if depth == 1 => return Ok(()),
                Some(']') => depth -= 1,
                Some(_) if depth > 0 => {}
                _ => return Err(diag(open, self.pos, "malformed attribute `#![…]`", "")),
            }
        }
    }

    fn value(&mut self) -> PResult<Node> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_here("values are nested too deeply".into(), ""));
        }
        self.depth += 1;
        let start = self.pos;
        let value = self.value_kind(start);
        self.depth -= 1;
        let end = self.pos;
        value.map(|value| Node { span: Span { start, end }, value })
    }

    fn value_kind(&mut self, start: usize) -> PResult<Value> {
        let Some(c) = self.peek() else {
            return Err(self.expected("a value"));
        };
        Ok(match c {
            '"' => Value::Str(self.quoted('"')?),
            '\'' => {
                let s = self.quoted('\'')?;
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Value::Char(c),
                    _ => {
                        let msg = "a character literal holds one character";
                        return Err(diag(start, self.pos, msg, "use \"…\" for strings"));
                    }
                }
            }
            'r' if self.rest()[1..].trim_start_matches('#').starts_with('"') => Value::Str(self.raw_string()?),
            '[' => Value::List(self.delimited(']', "a value", Self::value, placeholder)?),
            '{' => Value::Map(self.delimited(
                '}',
                "an entry",
                |p| {
                    let key = p.value()?;
                    p.expect(':', "`:` after the map key")?;
                    Ok((key, p.value()?))
                },
                |_, _| None,
            )?),
            '(' => self.body(None)?,
            c if c.is_ascii_digit() || matches!(c, '+' | '-' | '.') => self.number(start)?,
            c if is_ident_start(c) => {
                // A raw identifier, `r#None`: the name itself, never a keyword. `ron` writes
                // the variant `None` of an enum of ours (impact's baseline) this way.
                let raw = self.rest().strip_prefix("r#").is_some_and(|r| r.starts_with(is_ident_start));
                if raw {
                    self.pos += 2;
                }
                let name = self.take_while(is_ident_char).to_string();
                match name.as_str() {
                    _ if raw => {}
                    "true" | "false" => return Ok(Value::Bool(name == "true")),
                    "inf" => return Ok(Value::Float(f64::INFINITY)),
                    "NaN" => return Ok(Value::Float(f64::NAN)),
                    _ => {}
                }
                let end = self.pos;
                let span = Span { start, end };
                let after_name = *self;
                self.ws()?;
                if self.peek() == Some('(') {
                    self.body(Some(Ident { name, span }))?
                } else {
                    *self = after_name;
                    Value::Ident(name)
                }
            }
            _ => return Err(self.expected("a value")),
        })
    }

    /// `open elem, elem, … close` (trailing comma allowed) with the opener at the cursor. An
    /// element that does not parse is recorded and skipped to the next `,` or `close` at its
    /// own depth, `stand_in` of its text and span standing in for it (`None`: left out); a
    /// missing `,` between two elements is recorded and the next element read.
    fn delimited<T, F>(
        &mut self,
        close: char,
        what: &str,
        mut elem: F,
        stand_in: impl Fn(&'a str, Span) -> Option<T>,
    ) -> PResult<Vec<T>>
    where
        F: FnMut(&mut Self) -> PResult<T>,
    {
        let open = self.pos;
        let bracket = self.bump().unwrap_or('(');
        let mut out = Vec::new();
        loop {
            self.ws()?;
            if self.eat(close) {
                return Ok(out);
            }
            if let Some(c) = self.peek().filter(|&c| ")]}".contains(c) && c != close) {
                // Another bracket's closer where an element or ours could be: ours is unclosed
                // (an opener too many, or a closer missing), and the error would otherwise
                // say only "expected a value" here, lines after the slip.
                let (line, col) = line_col(self.src, open);
                let mut d = self.expected(&format!("{what} or `{close}`"));
                d.hint = Some(format!(
                    "the `{bracket}` opened at {line}:{col} is still open: is it one `{bracket}` too many, or is a `{close}` missing before this `{c}`?"
                ));
                return Err(d);
            }
            if self.peek().is_some() {
                let at = self.pos;
                match elem(self) {
                    Ok(e) => out.push(e),
                    Err(d) => {
                        // Past it when its end can be found: else (an unclosed bracket or
                        // string) this error ends the parse.
                        let Some(end) = element_end(self.src, at, close) else { return Err(d) };
                        self.go_on_past(d)?;
                        self.pos = end;
                        let text = self.src[at..end].trim_end();
                        out.extend(stand_in(text, Span { start: at, end: at + text.len() }));
                    }
                }
                self.ws()?;
                if self.eat(',') || self.peek() == Some(close) {
                    continue;
                }
            }
            let expected = format!("{} or `{close}`", if out.is_empty() { what } else { "`,`" });
            if self.peek().is_none() {
                return Err(unclosed_at_end(self.src, open, bracket, &expected));
            }
            let (line, col) = line_col(self.src, open);
            let starts_value = |c: char| is_ident_char(c) || "\"'[{(+-.".contains(c);
            let hint = match (self.multiline_string, !out.is_empty() && self.peek().is_some_and(starts_value)) {
                (Some(at), _) => {
                    let (l, c) = line_col(self.src, at);
                    format!("the string opened at {l}:{c} runs over a line break; is its closing `\"` missing?")
                }
                // `(radius 2)`: a field name alone before the value, a struct's `:` left out.
                (None, true)
                    if bracket == '(' && out.len() == 1 && {
                        let first = self.src[open + 1..self.pos].trim();
                        first.starts_with(|c: char| c.is_ascii_lowercase()) && first.chars().all(is_ident_char)
                    } =>
                {
                    let field = self.src[open + 1..self.pos].trim();
                    format!("is a `:` missing after `{field}` (`{field}: …`), or a `,` before this?")
                }
                (None, true) => "is a `,` missing before it?".to_string(),
                (None, false) if self.peek() == Some(';') => {
                    "RON separates fields and elements with `,`, not `;`".to_string()
                }
                (None, false) => format!("the `{bracket}` opened at {line}:{col} is still open"),
            };
            let mut d = self.expected(&expected);
            d.hint = Some(hint);
            // A `,` left out between two elements: read on as if it were there.
            if self.multiline_string.is_none() && self.peek().is_some_and(starts_value) {
                self.go_on_past(d)?;
                continue;
            }
            return Err(d);
        }
    }

    /// `( … )`: named fields when it starts with `ident :`, else a tuple.
    fn body(&mut self, name: Option<Ident>) -> PResult<Value> {
        let mut q = *self;
        q.bump();
        let named = q.ws().is_ok() && q.peek().is_some_and(is_ident_start) && {
            q.take_while(is_ident_char);
            q.ws().is_ok() && q.peek() == Some(':')
        };
        if !named {
            let before = self.errors.borrow().len();
            let items = self.delimited(')', "a value", Self::value, placeholder)?;
            // A tuple read past a slip may not be the shape that was meant (`(radius 2)`, a
            // struct missing a `:`, reads as a tuple of two): not checked further.
            if self.errors.borrow().len() > before {
                return Ok(Value::Placeholder);
            }
            return Ok(Value::Tuple(name, items));
        }
        let fields = self.delimited(
            ')',
            "a field",
            |p| {
                if !p.peek().is_some_and(is_ident_start) {
                    return Err(p.expected("a field name"));
                }
                let start = p.pos;
                let name = p.take_while(is_ident_char).to_string();
                let span = Span { start, end: p.pos };
                p.expect(':', "`:` after the field name")?;
                let value = p.value()?;
                Ok(Field { name: Ident { name, span }, value })
            },
            // A field whose value did not parse keeps its name, so it is not reported missing.
            |text, span| {
                let name: String = text.chars().take_while(|&c| is_ident_char(c)).collect();
                let named = text.starts_with(is_ident_start) && text[name.len()..].trim_start().starts_with(':');
                named.then(|| {
                    let ident =
                        Ident { name: name.clone(), span: Span { start: span.start, end: span.start + name.len() } };
                    Field { name: ident, value: Node { span, value: Value::Placeholder } }
                })
            },
        )?;
        Ok(Value::Struct(name, fields))
    }

    /// Integers (`_` separators, `0x`/`0o`/`0b`, optional sign) and floats (`1.5`, `2.`, `.5`, `1e-3`, `inf`, `NaN`).
    fn number(&mut self, start: usize) -> PResult<Value> {
        let neg = self.peek() == Some('-');
        if matches!(self.peek(), Some('+' | '-')) {
            self.bump();
        }
        let radix = match self.rest().get(..2) {
            Some("0x" | "0X") => 16,
            Some("0o") => 8,
            Some("0b") => 2,
            _ => 10,
        };
        let value = if self.peek().is_some_and(is_ident_start) {
            match self.take_while(is_ident_char) {
                "inf" if neg => Some(Value::Float(f64::NEG_INFINITY)),
                "inf" => Some(Value::Float(f64::INFINITY)),
                "NaN" => Some(Value::Float(f64::NAN)),
                _ => None,
            }
        } else if radix != 10 {
            self.pos += 2;
            let digits = self.take_while(is_ident_char).replace('_', "");
            let n = i128::from_str_radix(&digits, radix).ok();
            let n = n.and_then(|n| if neg { n.checked_neg() } else { Some(n) });
            n.map(Value::Int)
        } else {
            self.take_while(|c| c.is_ascii_digit() || c == '_');
            let mut float = false;
            if self.eat('.') {
                float = true;
                self.take_while(|c| c.is_ascii_digit() || c == '_');
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                float = true;
                self.bump();
                if matches!(self.peek(), Some('+' | '-')) {
                    self.bump();
                }
                self.take_while(|c| c.is_ascii_digit());
            }
            // A glued suffix (`12px`, `1.2.3`) makes the token invalid.
            self.take_while(|c| is_ident_char(c) || c == '.');
            let text = self.src[start..self.pos].replace('_', "");
            let float = float.then(|| text.parse().ok().map(Value::Float));
            float.unwrap_or_else(|| text.parse().ok().map(Value::Int))
        };
        let msg = format!("invalid number `{}`", &self.src[start..self.pos]);
        value.ok_or_else(|| diag(start, self.pos, msg, ""))
    }

    /// `"…"` or `'…'` with escapes `\n \t \r \0 \\ \" \' \u{…}`; the opening quote is at the cursor.
    fn quoted(&mut self, quote: char) -> PResult<String> {
        let open = self.pos;
        self.bump();
        let mut s = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => {
                    let what = if quote == '"' { "string" } else { "character literal" };
                    let hint = format!("add the closing `{quote}`");
                    return Err(diag(open, open + 1, format!("unterminated {what}"), &hint));
                }
                Some(c) if c == quote => {
                    if s.contains('\n') {
                        self.multiline_string = Some(open);
                    }
                    return Ok(s);
                }
                Some('\\') if self.peek().is_some() => s.push(match self.bump() {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('0') => '\0',
                    Some('u') => {
                        let braced = self.eat('{');
                        let hex = self.take_while(|c| c.is_ascii_hexdigit());
                        let ok = braced && self.eat('}') && hex.len() <= 6;
                        let c = u32::from_str_radix(hex, 16).ok().filter(|_| ok);
                        let msg = "invalid unicode escape";
                        let bad = diag(at, self.pos, msg, "write it as `\\u{XXXX}`");
                        c.and_then(char::from_u32).ok_or(bad)?
                    }
                    Some(c @ ('\\' | '"' | '\'')) => c,
                    c => {
                        let msg = format!("unknown escape `\\{}`", c.unwrap_or(' '));
                        let hint = "valid escapes: \\n \\t \\r \\0 \\\\ \\\" \\' \\u{XXXX}";
                        return Err(diag(at, self.pos, msg, hint));
                    }
                }),
                Some(c) => s.push(c),
            }
        }
    }

    /// `r"…"` / `r#"…"#`: no escapes.
    fn raw_string(&mut self) -> PResult<String> {
        let open = self.pos;
        self.bump();
        let hashes = self.take_while(|c| c == '#').len();
        self.bump();
        let close = format!("\"{}", "#".repeat(hashes));
        let Some(len) = self.rest().find(&close) else {
            let hint = format!("add the closing `{close}`");
            return Err(diag(open, self.pos, "unterminated raw string", &hint));
        };
        let s = self.rest()[..len].to_string();
        self.pos += len + close.len();
        Ok(s)
    }
}

/// The input ended with the `bracket` at `open` (the innermost one left) unclosed. Often
/// another bracket inside it lacks its closer and took this one's: the first closer that sits
/// on a line of its own, indented less than its opener's line, points to it. Else every
/// bracket still open is named.
fn unclosed_at_end(src: &str, open: usize, bracket: char, expected: &str) -> Diagnostic {
    let (pairs, still_open) = brackets(src);
    let indent = |at: usize| {
        let start = src[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = &src[start..];
        (start, line.len() - line.trim_start_matches([' ', '\t']).len())
    };
    let stolen = pairs.iter().filter(|&&(o, c)| {
        let ((o_line, o_indent), (c_line, c_indent)) = (indent(o), indent(c));
        o > open && c_line > o_line && c == c_line + c_indent && c_indent < o_indent
    });
    let at = |offset: usize| {
        let (line, col) = line_col(src, offset);
        format!("{line}:{col}")
    };
    if let Some(&(o, c)) = stolen.max_by_key(|&&(o, _)| o) {
        let (b, close) = (src[o..].chars().next().unwrap_or('('), src[c..].chars().next().unwrap_or(')'));
        let hint = format!(
            "is a `{close}` missing for it? The `{close}` at {} that closes it is indented less than its line, like an outer bracket's, and the `{bracket}` opened at {} is still open at the end of the input",
            at(c),
            at(open)
        );
        return diag(o, o + 1, format!("unclosed `{b}`"), &hint);
    }
    let others: Vec<String> = still_open
        .iter()
        .filter(|&&o| o != open)
        .map(|&o| format!("`{}` at {}", src[o..].chars().next().unwrap_or('('), at(o)))
        .collect();
    let also = match others.len() {
        0 => String::new(),
        _ => format!("; also still open: {}", others.join(", ")),
    };
    let hint = format!("expected {expected} before the end of the input{also}");
    diag(open, open + 1, format!("unclosed `{bracket}`"), &hint)
}

/// Where the comment, string, raw string or character literal starting at byte `i` ends (the
/// offset after it), and whether it was closed (`false`: it runs to the end of the input);
/// `None` when none starts there.
fn literal_end(src: &str, i: usize) -> Option<(usize, bool)> {
    let b = src.as_bytes();
    let rest = src.get(i..)?;
    let after_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
    if rest.starts_with("//") {
        return Some((i + rest.find('\n').unwrap_or(rest.len()), true));
    }
    if rest.starts_with("/*") {
        let (mut depth, mut i) = (0usize, i);
        while i < b.len() {
            if b[i..].starts_with(b"/*") {
                (depth, i) = (depth + 1, i + 2);
            } else if b[i..].starts_with(b"*/") {
                (depth, i) = (depth - 1, i + 2);
                if depth == 0 {
                    return Some((i, true));
                }
            } else {
                i += 1;
            }
        }
        return Some((b.len(), false));
    }
    if b[i] == b'r' && !after_ident && rest[1..].trim_start_matches('#').starts_with('"') {
        let hashes = rest[1..].len() - rest[1..].trim_start_matches('#').len();
        let close = format!("\"{}", "#".repeat(hashes));
        let body = i + 2 + hashes;
        return Some(match src.get(body..).and_then(|s| s.find(&close)) {
            Some(k) => (body + k + close.len(), true),
            None => (b.len(), false),
        });
    }
    if b[i] == b'"' || b[i] == b'\'' {
        let quote = b[i];
        let mut i = i + 1;
        while i < b.len() && b[i] != quote {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        return Some(if i < b.len() { (i + 1, true) } else { (b.len(), false) });
    }
    None
}

/// The end of the element starting at `from` inside a bracket closed by `close`: the offset
/// of the first `,` or `close` outside any bracket, string or comment opened after `from`.
/// `None` when the input ends first, or another bracket's closer comes first (the element
/// cannot be skipped: the error in it ends the parse).
fn element_end(src: &str, from: usize, close: char) -> Option<usize> {
    let b = src.as_bytes();
    // The closers the brackets opened after `from` wait for, innermost last.
    let (mut open, mut i) = (Vec::new(), from);
    while i < b.len() {
        if let Some((end, closed)) = literal_end(src, i) {
            if !closed {
                return None;
            }
            i = end;
            continue;
        }
        match b[i] {
            b'(' => open.push(b')'),
            b'[' => open.push(b']'),
            b'{' => open.push(b'}'),
            c @ (b')' | b']' | b'}') if !open.is_empty() => {
                if open.pop() != Some(c) {
                    return None;
                }
            }
            c if c == b',' && open.is_empty() => return Some(i),
            c if c == close as u8 => return Some(i),
            b')' | b']' | b'}' => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// A list's or tuple's element that did not parse: a placeholder over its text.
fn placeholder(_text: &str, span: Span) -> Option<Node> {
    Some(Node { span, value: Value::Placeholder })
}

/// The offsets of each matched bracket pair, and of the brackets left open at the end, outside
/// strings, character literals and comments (for a hint; the parser has read this far).
pub(super) fn brackets(src: &str) -> (Vec<(usize, usize)>, Vec<usize>) {
    let (mut pairs, mut stack) = (Vec::new(), Vec::new());
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if src.get(i..).is_none() {
            i += 1; // inside a multi-byte character
            continue;
        }
        if let Some((end, _)) = literal_end(src, i) {
            i = end;
            continue;
        }
        match b[i] {
            b'(' | b'[' | b'{' => stack.push(i),
            b')' | b']' | b'}' => {
                if let Some(o) = stack.pop() {
                    pairs.push((o, i));
                }
            }
            _ => {}
        }
        i += 1;
    }
    (pairs, stack)
}

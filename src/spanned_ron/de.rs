//! A serde `Deserializer` over the spanned tree that records a diagnostic for each problem and
//! recovers by feeding the visitor a placeholder, so one pass reports every mistake in a file.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::parse::{Field, Ident, Node, Value};
use super::{Diagnostic, Span, SpanIndex, diagnostic, did_you_mean};

/// A visitor's own error (e.g. serde's `missing_field`); it aborts decoding (a missing field
/// is filled in and decoding starts again: [`deserialize`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

type Res<T> = Result<T, Error>;

/// State shared by every deserializer of one decode.
#[derive(Default)]
pub struct Ctx {
    pub diags: Vec<Diagnostic>,
    pub spans: SpanIndex,
    /// Paths where the recovered value holds a placeholder instead of what the file says.
    pub placeholders: Vec<String>,
    path: String,
    /// > 0 while deserializing something whose problem was already reported.
    muted: usize,
    /// Set once a visitor error was recorded; from then on it only propagates.
    failed: bool,
    /// The first visitor error, when it is a struct's missing field: the struct's span, the
    /// field's name, and the diagnostic reported (none when muted).
    missing: Option<(Span, String, Option<Diagnostic>)>,
}

impl Ctx {
    fn report(&mut self, span: Span, message: String, hint: Option<String>) {
        if self.muted == 0 {
            self.diags.push(diagnostic(span, self.path.clone(), message, hint));
        }
    }

    /// Runs `f` with `seg` (a field name or `[…]`) appended to the path.
    fn with<T>(&mut self, seg: &str, f: impl FnOnce(&mut Ctx) -> T) -> T {
        let len = self.path.len();
        if !seg.starts_with('[') && !self.path.is_empty() && !seg.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(seg);
        let r = f(self);
        self.path.truncate(len);
        r
    }

    /// Runs `f` muted; an error from it counts as reported.
    fn muted<T>(&mut self, f: impl FnOnce(&mut Ctx) -> Res<T>) -> Res<T> {
        self.muted += 1;
        let r = f(self);
        self.muted -= 1;
        self.failed |= r.is_err();
        r
    }
}

/// The most missing fields filled in for one decode (each costs a decode of the whole file).
const MAX_FILLED: usize = 64;

/// Deserializes `node`. A visitor's error ends a pass, but when it is a struct's missing field
/// the field is reported, filled in with a placeholder, and the tree decoded again, so the
/// file's other problems are reported too (each pass reports them afresh; only the missing
/// fields' reports are carried over).
pub fn deserialize<T: de::DeserializeOwned>(node: &Node) -> (Res<T>, Ctx) {
    let mut tree = std::borrow::Cow::Borrowed(node);
    let mut carried = Vec::new();
    loop {
        let mut ctx = Ctx::default();
        let r = T::deserialize(De::of(&mut ctx, &tree));
        if r.is_err()
            && carried.len() < MAX_FILLED
            && let Some((span, field, reported)) = ctx.missing.take()
            && fill(tree.to_mut(), span, &field)
        {
            carried.push(reported);
            continue;
        }
        ctx.diags.extend(carried.into_iter().flatten());
        return (r, ctx);
    }
}

/// Adds the field `name` as a [`Value::Placeholder`] to the struct at `span` (a bare `Name` or
/// `Name()` becomes a struct of that one field); false when there is no such struct or it
/// already has the field.
fn fill(node: &mut Node, span: Span, name: &str) -> bool {
    let field = |at: Span| Field {
        name: Ident { name: name.to_string(), span: Span { start: at.end, end: at.end } },
        value: Node { span: at, value: Value::Placeholder },
    };
    if node.span == span {
        let id = match &mut node.value {
            Value::Struct(_, fields) if fields.iter().any(|f| f.name.name == name) => return false,
            Value::Struct(_, fields) => {
                fields.push(field(span));
                return true;
            }
            Value::Ident(n) => Some(Ident { name: n.clone(), span }),
            Value::Tuple(id, items) if items.is_empty() => id.clone(),
            _ => return fill_within(node, span, name),
        };
        node.value = Value::Struct(id, vec![field(span)]);
        return true;
    }
    fill_within(node, span, name)
}

/// [`fill`] in the values `node` holds.
fn fill_within(node: &mut Node, span: Span, name: &str) -> bool {
    if span.start < node.span.start || span.end > node.span.end {
        return false;
    }
    match &mut node.value {
        Value::List(items) | Value::Tuple(_, items) => items.iter_mut().any(|n| fill(n, span, name)),
        Value::Map(pairs) => pairs.iter_mut().any(|(k, v)| fill(k, span, name) || fill(v, span, name)),
        Value::Struct(_, fields) => fields.iter_mut().any(|f| fill(&mut f.value, span, name)),
        _ => false,
    }
}

/// What the visitor asked for.
#[derive(Clone, Copy)]
enum Want {
    Any,
    Ignored,
    Bool,
    /// type name, min, max
    Int(&'static str, i128, i128),
    /// `true` for f32
    Float(bool),
    Char,
    Str,
    Identifier,
    Option,
    /// `()` and unit structs
    Unit,
    /// the struct's name: `Name(x)` and `(x)` are unwrapped, anything else is the inner value
    Newtype(&'static str),
    Seq,
    Tuple(usize),
    Map,
    /// the struct's name (`Name(…)` or `(…)`; another name is reported) and its fields
    Struct(&'static str, &'static [&'static str]),
    Enum(&'static [&'static str]),
}

impl Want {
    fn describe(self) -> String {
        match self {
            Want::Bool => "true or false".into(),
            Want::Int(_, 0, _) => "a non-negative integer".into(),
            Want::Int(..) => "an integer".into(),
            Want::Float(_) => "a number".into(),
            Want::Char => "a character".into(),
            Want::Str => "a string".into(),
            Want::Identifier => "a name".into(),
            Want::Unit => "`()`".into(),
            Want::Seq => "a list `[…]`".into(),
            Want::Tuple(n) => format!("a tuple of {n} `(…)`"),
            Want::Map => "a map `{…}`".into(),
            Want::Struct(..) => "a struct `(field: value, …)`".into(),
            Want::Enum(variants) => format!("one of {}", list(variants)),
            Want::Any | Want::Ignored | Want::Option | Want::Newtype(_) => "a value".into(),
        }
    }
}

fn list(names: &[&str]) -> String {
    let names: Vec<_> = names.iter().map(|n| format!("`{n}`")).collect();
    names.join(", ")
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Bool(b) => format!("`{b}`"),
        Value::Int(n) => n.to_string(),
        Value::Float(x) => format!("{x:?}"),
        Value::Str(_) => "a string".into(),
        Value::Char(_) => "a character".into(),
        Value::List(_) => "a list `[…]`".into(),
        Value::Map(_) => "a map `{…}`".into(),
        Value::Ident(name) => format!("`{name}`"),
        Value::Tuple(Some(id), _) | Value::Struct(Some(id), _) => format!("`{}(…)`", id.name),
        Value::Tuple(None, t) if t.is_empty() => "`()`".into(),
        Value::Tuple(None, _) => "a tuple `(…)`".into(),
        Value::Struct(None, _) => "a struct `(…)`".into(),
        Value::Placeholder => "nothing".into(),
    }
}

/// `()`, `Name` or `Name()`.
fn unit_like(value: &Value) -> bool {
    matches!(value, Value::Ident(_)) || matches!(value, Value::Tuple(_, t) if t.is_empty())
}

/// Path segment of a map entry: `['c']`, `["s"]`, `[5]`, `[true]`, `[Name]`, else `[#index]`.
fn key_segment(key: &Node, index: usize) -> String {
    match &key.value {
        Value::Char(c) => format!("[{c:?}]"),
        Value::Str(s) => format!("[{s:?}]"),
        Value::Int(n) => format!("[{n}]"),
        Value::Bool(b) => format!("[{b}]"),
        Value::Ident(name) => format!("[{name}]"),
        _ => format!("[#{index}]"),
    }
}

fn visit_int<'de, V: Visitor<'de>>(ty: &str, n: i128, v: V) -> Res<V::Value> {
    match ty {
        "i128" => v.visit_i128(n),
        "u128" => v.visit_u128(n as u128),
        _ if ty.starts_with('u') => v.visit_u64(n as u64),
        _ => v.visit_i64(n as i64),
    }
}

fn visit_float<'de, V: Visitor<'de>>(single: bool, x: f64, v: V) -> Res<V::Value> {
    if single { v.visit_f32(x as f32) } else { v.visit_f64(x) }
}

fn key<'de, S: DeserializeSeed<'de>>(seed: S, name: &str) -> Res<S::Value> {
    seed.deserialize(IntoDeserializer::<'de, Error>::into_deserializer(name))
}

/// Deserializes `node` at the context's current path; with `ph` it yields a placeholder instead.
pub struct De<'a> {
    ctx: &'a mut Ctx,
    node: &'a Node,
    ph: bool,
    /// Set for the payload of a newtype variant written with nothing in it, `Variant()`: a
    /// struct payload then takes every field's default (as `Variant(())` does); anything else
    /// is reported missing.
    empty_of: Option<&'a str>,
    /// Set for the payload of a newtype variant written inline, `Variant(field: …)`: the name
    /// before the `(` is the variant's, not the payload struct's.
    inline: bool,
}

macro_rules! int {
    ($t:ident) => {
        Want::Int(stringify!($t), $t::MIN as i128, i128::try_from($t::MAX).unwrap_or(i128::MAX))
    };
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*) => $want:expr;)*) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* v: V) -> Res<V::Value> {
            self.go($want, v)
        })*
    };
}

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = Error;
    forward! {
        deserialize_any() => Want::Any;
        deserialize_ignored_any() => Want::Ignored;
        deserialize_bool() => Want::Bool;
        deserialize_i8() => int!(i8);
        deserialize_i16() => int!(i16);
        deserialize_i32() => int!(i32);
        deserialize_i64() => int!(i64);
        deserialize_i128() => int!(i128);
        deserialize_u8() => int!(u8);
        deserialize_u16() => int!(u16);
        deserialize_u32() => int!(u32);
        deserialize_u64() => int!(u64);
        deserialize_u128() => int!(u128);
        deserialize_f32() => Want::Float(true);
        deserialize_f64() => Want::Float(false);
        deserialize_char() => Want::Char;
        deserialize_str() => Want::Str;
        deserialize_string() => Want::Str;
        deserialize_bytes() => Want::Str;
        deserialize_byte_buf() => Want::Str;
        deserialize_identifier() => Want::Identifier;
        deserialize_option() => Want::Option;
        deserialize_unit() => Want::Unit;
        deserialize_unit_struct(_name: &'static str) => Want::Unit;
        deserialize_newtype_struct(name: &'static str) => Want::Newtype(name);
        deserialize_seq() => Want::Seq;
        deserialize_tuple(len: usize) => Want::Tuple(len);
        deserialize_tuple_struct(_name: &'static str, len: usize) => Want::Tuple(len);
        deserialize_map() => Want::Map;
        deserialize_struct(name: &'static str, fields: &'static [&'static str]) => Want::Struct(name, fields);
        deserialize_enum(_name: &'static str, variants: &'static [&'static str]) => Want::Enum(variants);
    }
}

/// Shorthands for the accessors, each over `ctx` and a parent `node`.
fn seq<'a>(ctx: &'a mut Ctx, node: &'a Node, items: &'a [Node], len: usize) -> Seq<'a> {
    Seq { ctx, parent: node, items, len, next: 0 }
}

fn map<'a>(ctx: &'a mut Ctx, node: &'a Node, entries: Entries<'a>) -> MapAcc<'a> {
    MapAcc { ctx, parent: node, entries, next: 0, value: None }
}

fn fields<'a>(fields: &'a [Field], known: Option<&'static [&'static str]>) -> Entries<'a> {
    Entries::Fields(fields, known)
}

impl<'a> De<'a> {
    fn of(ctx: &'a mut Ctx, node: &'a Node) -> Self {
        let ph = false;
        De { ctx, node, ph, empty_of: None, inline: false }
    }

    /// Yields a placeholder shaped like whatever is asked for; `node` only anchors it.
    fn stand_in(ctx: &'a mut Ctx, node: &'a Node) -> Self {
        let ph = true;
        De { ctx, node, ph, empty_of: None, inline: false }
    }

    /// Records this value's span at the current path, dispatches on `want`, and turns the first
    /// visitor error into a diagnostic at this value.
    fn go<'de, V: Visitor<'de>>(self, want: Want, v: V) -> Res<V::Value> {
        let (ctx, node) = (self.ctx, self.node);
        if self.ph || node.value == Value::Placeholder {
            return recover(ctx, node, want, v);
        }
        if let Some(variant) = self.empty_of
            && !matches!(want, Want::Struct(..) | Want::Map)
        {
            ctx.report(node.span, format!("variant `{variant}` expects 1 value, found none"), None);
            return recover(ctx, node, want, v);
        }
        ctx.spans.map.insert(ctx.path.clone(), node.span);
        if let Want::Struct(name, _) = want
            && !self.inline
        {
            check_struct_name(ctx, node, name);
        }
        let r = visit(ctx, node, want, v);
        if let Err(e) = &r
            && !ctx.failed
        {
            ctx.failed = true;
            // serde's words for a field a struct needs and was not given.
            let missing = e.0.strip_prefix("missing field `").and_then(|f| f.strip_suffix('`'));
            let before = ctx.diags.len();
            ctx.report(node.span, e.0.clone(), missing.map(|f| format!("add `{f}: …` to it")));
            if let Some(field) = missing {
                ctx.missing = Some((node.span, field.to_string(), ctx.diags.get(before).cloned()));
                ctx.diags.truncate(before);
            }
        }
        r
    }
}

/// A struct may be written with its name, `Name(…)`, or without, `(…)`; another name (a typo,
/// or another struct's) is reported at the name. The body is decoded all the same.
fn check_struct_name(ctx: &mut Ctx, node: &Node, name: &str) {
    let given = match &node.value {
        Value::Struct(Some(id), _) => Some((id.name.as_str(), id.span)),
        Value::Tuple(Some(id), t) if t.is_empty() => Some((id.name.as_str(), id.span)),
        Value::Ident(n) => Some((n.as_str(), node.span)),
        _ => None,
    };
    let Some((given, span)) = given.filter(|&(given, _)| given != name) else {
        return;
    };
    // A bare word where a section goes (`tax: Sed`): say what goes there in the docs' terms, not
    // by the struct's name in the code (`TaxSpec`), which the docs never show.
    if matches!(node.value, Value::Ident(_)) && did_you_mean(given, &[name]).is_none() {
        ctx.report(
            span,
            format!("expected a section in parentheses, `(field: value, …)`, found `{given}`"),
            Some(if ctx.path == "tax" && matches!(given, "Sed" | "Us2018") {
                format!("a tax preset is one of the section's fields: `tax: (preset: {given})`")
            } else {
                "write the section's fields in parentheses; docs/scenarios.md lists each section's".to_string()
            }),
        );
        return;
    }
    let hint = match did_you_mean(given, &[name]) {
        Some(g) => format!("did you mean `{g}`?"),
        None => format!("write `{name}(…)`, or leave the name out: `(…)`"),
    };
    ctx.report(span, format!("expected `{name}` (or no name), found `{given}`"), Some(hint));
}

fn mismatch(ctx: &mut Ctx, node: &Node, expected: &str) {
    let hint = match &node.value {
        Value::Ident(name) if expected == "a string" => Some(format!("quote it: \"{name}\"")),
        Value::Ident(name)
            if expected == "true or false" && ["true", "false"].iter().any(|b| name.eq_ignore_ascii_case(b)) =>
        {
            Some(format!("RON writes it in lower case: `{}`", name.to_ascii_lowercase()))
        }
        Value::Str(b) if expected == "true or false" && (b == "true" || b == "false") => {
            Some(format!("without quotes: `{b}`"))
        }
        Value::Str(s) if expected == "a character" && s.chars().count() == 1 => {
            Some(format!("a character is written in single quotes: {:?}", s.chars().next().unwrap_or(' ')))
        }
        // RON's spellings are `NaN` and `inf` (as Rust prints them), exactly.
        Value::Ident(name) if expected == "a number" && name.eq_ignore_ascii_case("nan") => {
            Some("RON writes not-a-number as `NaN`".into())
        }
        Value::Ident(name)
            if expected == "a number" && ["inf", "infinity"].iter().any(|i| name.eq_ignore_ascii_case(i)) =>
        {
            Some("RON writes infinity as `inf` (and `-inf`)".into())
        }
        _ => None,
    };
    let message = format!("expected {expected}, found {}", describe(node));
    ctx.report(node.span, message, hint);
}

fn visit<'de, V: Visitor<'de>>(ctx: &mut Ctx, node: &Node, want: Want, v: V) -> Res<V::Value> {
    match (want, &node.value) {
        (Want::Any, _) => any(ctx, node, v),
        (Want::Ignored, _) => v.visit_unit(),
        (Want::Bool, Value::Bool(b)) => v.visit_bool(*b),
        (Want::Int(ty, lo, hi), Value::Int(n)) if (lo..=hi).contains(n) => visit_int(ty, *n, v),
        (Want::Int(_, lo, hi), Value::Int(n)) => {
            let message = match lo == 0 && *n < 0 {
                true => format!("expected a non-negative integer, found {n}"),
                // In a reader's words, not the type's name ("out of range for u32").
                false => format!("a whole number from {lo} to {hi} goes here, found {n}"),
            };
            ctx.report(node.span, message, None);
            recover(ctx, node, want, v)
        }
        (Want::Float(single), Value::Int(n)) => visit_float(single, *n as f64, v),
        (Want::Float(single), Value::Float(x)) => visit_float(single, *x, v),
        (Want::Char, Value::Char(c)) => v.visit_char(*c),
        (Want::Str | Want::Identifier, Value::Str(s)) | (Want::Identifier, Value::Ident(s)) => v.visit_str(s),
        (Want::Option, Value::Ident(name)) if name == "None" => v.visit_none(),
        (Want::Option, Value::Tuple(Some(id), t)) if id.name == "Some" && t.len() == 1 => {
            v.visit_some(De::of(ctx, &t[0]))
        }
        (Want::Option, Value::Ident(name) | Value::Tuple(Some(Ident { name, .. }), _)) if name == "Some" => {
            mismatch(ctx, node, "`None` or `Some(value)`");
            recover(ctx, node, want, v)
        }
        (Want::Option, _) => v.visit_some(De::of(ctx, node)),
        (Want::Unit, value) if unit_like(value) => v.visit_unit(),
        (Want::Newtype(name), Value::Tuple(id, t)) if t.len() == 1 && id.as_ref().is_none_or(|id| id.name == name) => {
            v.visit_newtype_struct(De::of(ctx, &t[0]))
        }
        (Want::Newtype(_), _) => v.visit_newtype_struct(De::of(ctx, node)),
        (Want::Seq, Value::List(items) | Value::Tuple(None, items)) => v.visit_seq(seq(ctx, node, items, items.len())),
        (Want::Tuple(len), Value::List(items) | Value::Tuple(_, items)) => {
            if items.len() != len {
                let message = format!("expected {len} elements, found {}", items.len());
                ctx.report(node.span, message, None);
            }
            v.visit_seq(seq(ctx, node, items, len))
        }
        (Want::Map, Value::Map(pairs)) => v.visit_map(map(ctx, node, Entries::Pairs(pairs))),
        (Want::Map, Value::Struct(_, fs)) => v.visit_map(map(ctx, node, fields(fs, None))),
        (Want::Struct(_, names), Value::Struct(_, fs)) => v.visit_map(map(ctx, node, fields(fs, Some(names)))),
        (Want::Struct(..), value) if unit_like(value) => v.visit_map(map(ctx, node, fields(&[], None))),
        (Want::Enum(variants), _) => enumeration(ctx, node, variants, v),
        _ => {
            mismatch(ctx, node, &want.describe());
            recover(ctx, node, want, v)
        }
    }
}

/// `deserialize_any`: the value's natural shape; a bare `Name` is a string, `Name(…)` its body.
fn any<'de, V: Visitor<'de>>(ctx: &mut Ctx, node: &Node, v: V) -> Res<V::Value> {
    match &node.value {
        Value::Bool(b) => v.visit_bool(*b),
        Value::Int(n) => match (i64::try_from(*n), u64::try_from(*n)) {
            (Ok(x), _) => v.visit_i64(x),
            (_, Ok(x)) => v.visit_u64(x),
            _ => v.visit_i128(*n),
        },
        Value::Float(x) => v.visit_f64(*x),
        Value::Str(s) => v.visit_str(s),
        Value::Char(c) => v.visit_char(*c),
        Value::Ident(name) if name == "None" => v.visit_none(),
        Value::Ident(name) => v.visit_str(name),
        Value::Tuple(Some(id), t) if id.name == "Some" && t.len() == 1 => v.visit_some(De::of(ctx, &t[0])),
        Value::Tuple(_, t) if t.is_empty() => v.visit_unit(),
        Value::List(items) | Value::Tuple(_, items) => v.visit_seq(seq(ctx, node, items, items.len())),
        Value::Map(pairs) => v.visit_map(map(ctx, node, Entries::Pairs(pairs))),
        Value::Struct(_, fs) => v.visit_map(map(ctx, node, fields(fs, None))),
        Value::Placeholder => v.visit_unit(),
    }
}

fn enumeration<'de, V: Visitor<'de>>(
    ctx: &mut Ctx,
    node: &Node,
    variants: &'static [&'static str],
    v: V,
) -> Res<V::Value> {
    let want = Want::Enum(variants);
    let (name, span) = match &node.value {
        Value::Ident(name) | Value::Str(name) => (name.as_str(), node.span),
        Value::Tuple(Some(id), _) | Value::Struct(Some(id), _) => (id.name.as_str(), id.span),
        _ => {
            mismatch(ctx, node, &want.describe());
            return recover(ctx, node, want, v);
        }
    };
    if variants.contains(&name) {
        return v.visit_enum(Enum::new(ctx, node, name, false));
    }
    let guess = did_you_mean(name, variants);
    let hint = match guess {
        Some(g) => format!("did you mean `{g}`?"),
        None => format!("expected one of: {}", list(variants)),
    };
    ctx.report(span, format!("unknown variant `{name}`"), Some(hint));
    match guess {
        // Decode the payload as the suggested variant, silently: one typo, one message.
        Some(variant) => ctx.muted(|ctx| v.visit_enum(Enum::new(ctx, node, variant, false))),
        None => recover(ctx, node, want, v),
    }
}

/// Reports nothing more and feeds the visitor a placeholder, noting the path where the
/// recovered value holds one.
fn recover<'de, V: Visitor<'de>>(ctx: &mut Ctx, node: &Node, want: Want, v: V) -> Res<V::Value> {
    ctx.placeholders.push(ctx.path.clone());
    ctx.muted(|ctx| placeholder(ctx, node, want, v))
}

/// Feeds the visitor a stand-in value (run muted: the problem was already reported).
fn placeholder<'de, V: Visitor<'de>>(ctx: &mut Ctx, node: &Node, want: Want, v: V) -> Res<V::Value> {
    match want {
        Want::Any | Want::Ignored | Want::Unit => v.visit_unit(),
        Want::Bool => v.visit_bool(false),
        Want::Int(ty, ..) => visit_int(ty, 0, v),
        Want::Float(single) => visit_float(single, 0.0, v),
        Want::Char => v.visit_char('?'),
        Want::Str | Want::Identifier => v.visit_str(""),
        Want::Option => v.visit_none(),
        Want::Newtype(_) => v.visit_newtype_struct(De::stand_in(ctx, node)),
        Want::Seq => v.visit_seq(seq(ctx, node, &[], 0)),
        Want::Tuple(len) => v.visit_seq(seq(ctx, node, &[], len)),
        Want::Map => v.visit_map(map(ctx, node, fields(&[], None))),
        Want::Struct(_, names) => v.visit_map(map(ctx, node, Entries::Names(names))),
        Want::Enum(variants) => match variants.first() {
            Some(variant) => v.visit_enum(Enum::new(ctx, node, variant, true)),
            None => Err(Error("an enum without variants cannot be decoded".into())),
        },
    }
}

/// Elements `[i]` of a list or tuple; past `items` (up to `len`) it yields placeholders.
struct Seq<'a> {
    ctx: &'a mut Ctx,
    parent: &'a Node,
    items: &'a [Node],
    len: usize,
    next: usize,
}

impl<'de> de::SeqAccess<'de> for Seq<'_> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Res<Option<S::Value>> {
        if self.next >= self.len {
            return Ok(None);
        }
        let i = self.next;
        self.next += 1;
        let (node, ph) = self.items.get(i).map_or((self.parent, true), |n| (n, false));
        let r = self
            .ctx
            .with(&format!("[{i}]"), |ctx| seed.deserialize(De { ctx, node, ph, empty_of: None, inline: false }));
        r.map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len.saturating_sub(self.next))
    }
}

enum Entries<'a> {
    /// A named-field body; given the struct's field names, unknown and duplicate fields are
    /// reported and skipped.
    Fields(&'a [Field], Option<&'static [&'static str]>),
    /// `{ key: value }`; duplicate keys are reported and skipped.
    Pairs(&'a [(Node, Node)]),
    /// Placeholder values for each of these fields (recovering a struct).
    Names(&'static [&'static str]),
}

struct MapAcc<'a> {
    ctx: &'a mut Ctx,
    parent: &'a Node,
    entries: Entries<'a>,
    next: usize,
    /// Path segment and node (`None`: placeholder) of the value after the key just returned.
    value: Option<(String, Option<&'a Node>)>,
}

impl<'de> de::MapAccess<'de> for MapAcc<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Res<Option<K::Value>> {
        loop {
            let i = self.next;
            self.next += 1;
            let (seg, key_node, value, problem) = match self.entries {
                Entries::Fields(fields, known) => {
                    let Some(f) = fields.get(i) else {
                        return Ok(None);
                    };
                    let name = f.name.name.as_str();
                    let problem = match known {
                        Some(known) if !known.contains(&name) => {
                            let hint = match did_you_mean(name, known) {
                                Some(g) => format!("did you mean `{g}`?"),
                                None if known.is_empty() => "no fields are expected here".into(),
                                None => format!("expected one of: {}", list(known)),
                            };
                            Some((f.name.span, format!("unknown field `{name}`"), Some(hint)))
                        }
                        _ if fields[..i].iter().any(|g| g.name.name == name) => {
                            Some((f.name.span, format!("duplicate field `{name}`"), None))
                        }
                        _ => None,
                    };
                    (name.to_string(), None, Some(&f.value), problem)
                }
                Entries::Pairs(pairs) => {
                    let Some((k, v)) = pairs.get(i) else {
                        return Ok(None);
                    };
                    let seg = key_segment(k, i);
                    let same = |(j, (k2, _)): (usize, &(Node, Node))| key_segment(k2, j) == seg;
                    let dup = !seg.starts_with("[#") && pairs[..i].iter().enumerate().any(same);
                    let shown = &seg[1..seg.len() - 1]; // strip the `[` `]`
                    let problem = dup.then(|| (k.span, format!("duplicate key `{shown}`"), None));
                    (seg, Some(k), Some(v), problem)
                }
                Entries::Names(names) => {
                    let Some(name) = names.get(i) else {
                        return Ok(None);
                    };
                    (name.to_string(), None, None, None)
                }
            };
            if let Some((span, message, hint)) = problem {
                self.ctx.with(&seg, |ctx| ctx.report(span, message, hint));
                continue;
            }
            let ctx = &mut *self.ctx;
            let r = match key_node {
                Some(node) => ctx.with(&seg, |ctx| seed.deserialize(De::of(ctx, node))),
                None => key(seed, &seg),
            };
            self.value = Some((seg, value));
            return r.map(Some);
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Res<S::Value> {
        let (seg, node) = self.value.take().unwrap_or_default();
        let (node, ph) = node.map_or((self.parent, true), |n| (n, false));
        let ctx = &mut *self.ctx;
        ctx.with(&seg, |ctx| seed.deserialize(De { ctx, node, ph, empty_of: None, inline: false }))
    }
}

/// An enum value whose variant is settled; checks the payload's shape against the variant's.
struct Enum<'a> {
    ctx: &'a mut Ctx,
    node: &'a Node,
    variant: &'a str,
    /// placeholder payload
    ph: bool,
}

impl<'a> Enum<'a> {
    fn new(ctx: &'a mut Ctx, node: &'a Node, variant: &'a str, ph: bool) -> Self {
        Enum { ctx, node, variant, ph }
    }

    fn shape_error(&mut self, expects: &str) {
        let found = match &self.node.value {
            Value::Tuple(_, t) if t.len() == 1 => "1 value".into(),
            Value::Tuple(_, t) => format!("{} values", t.len()),
            Value::Struct(..) => "named fields".into(),
            _ => "none".to_string(),
        };
        if !self.ph {
            let variant = self.variant;
            let message = format!("variant `{variant}` expects {expects}, found {found}");
            // A name written alone (`VaseOnBelt` for `VaseOnBelt(E)`): where its values go.
            let n = expects.split(' ').next().and_then(|n| n.parse::<usize>().ok());
            let hint = n.filter(|_| found == "none").map(|n| {
                let dots = vec!["…"; n].join(", ");
                format!("give {} in brackets after the name: `{variant}({dots})`", if n == 1 { "it" } else { "them" })
            });
            self.ctx.report(self.node.span, message, hint);
        }
    }
}

impl<'de> de::EnumAccess<'de> for Enum<'_> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Res<(S::Value, Self)> {
        Ok((key(seed, self.variant)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'_> {
    type Error = Error;

    fn unit_variant(mut self) -> Res<()> {
        if !unit_like(&self.node.value) && !matches!(self.node.value, Value::Str(_)) {
            self.shape_error("no value");
        }
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(mut self, seed: S) -> Res<S::Value> {
        let (ctx, node) = (&mut *self.ctx, self.node);
        match &node.value {
            Value::Tuple(_, t) if t.len() == 1 && !self.ph => {
                // The payload is transparent: `Fixed(0.5)` at `a.b` records 0.5 at `a.b`.
                seed.deserialize(De::of(ctx, &t[0]))
            }
            // `Variant(field: …)`: the payload is a struct written inline.
            Value::Struct(..) if !self.ph => {
                seed.deserialize(De { ctx, node, ph: false, empty_of: None, inline: true })
            }
            // `Variant()`: a struct payload with every field left out.
            Value::Tuple(Some(_), t) if t.is_empty() && !self.ph => {
                let variant = self.variant;
                seed.deserialize(De { ctx, node, ph: false, empty_of: Some(variant), inline: true })
            }
            _ => {
                self.shape_error("1 value");
                seed.deserialize(De::stand_in(self.ctx, node))
            }
        }
    }

    fn tuple_variant<V: Visitor<'de>>(mut self, len: usize, v: V) -> Res<V::Value> {
        let node = self.node;
        let items = match &node.value {
            Value::Tuple(_, t) if !self.ph => t.as_slice(),
            _ => &[],
        };
        if items.len() != len || !matches!(node.value, Value::Tuple(..)) {
            self.shape_error(&format!("{len} value{}", if len == 1 { "" } else { "s" }));
        }
        v.visit_seq(seq(self.ctx, self.node, items, len))
    }

    fn struct_variant<V: Visitor<'de>>(mut self, names: &'static [&'static str], v: V) -> Res<V::Value> {
        let node = self.node;
        if let Value::Struct(_, fs) = &node.value
            && !self.ph
        {
            return v.visit_map(map(self.ctx, self.node, fields(fs, Some(names))));
        }
        let shape: Vec<_> = names.iter().map(|f| format!("{f}: …")).collect();
        self.shape_error(&format!("named fields `({})`", shape.join(", ")));
        v.visit_map(map(self.ctx, self.node, Entries::Names(names)))
    }
}

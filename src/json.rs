//! JSON that keeps every number: the JSON files Polity writes and reads back (`run.json`,
//! a sweep folder's `sweep.json`) go through here.
//!
//! JSON has no infinities and no NaN, and `serde_json` writes them as `null`, which cannot be
//! read back as a number: a scenario with `power: Fixed(inf)` or the voting menu's `-inf`
//! would be lost. Here a non-finite number is written as a string — `"inf"`, `"-inf"` or
//! `"NaN"` — and read back from that string wherever a number is expected (plain numbers
//! read as usual). Everything else is ordinary JSON, so `jq` and friends read the files.
//!
//! Reading reports the first problem with its line and column ([`Located`]); a `null` where
//! a number belongs gets its own message ([`NULL_NUMBER`]), since older Polity versions wrote
//! infinities that way.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use serde::ser::{self, Serialize, Serializer};

/// The message of a `null` read where a number belongs.
pub const NULL_NUMBER: &str = "null where a number belongs";

/// The string a non-finite number is written as.
pub fn non_finite_name(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// The number a string stands for, if it is one of the non-finite names (`"+inf"` too).
pub fn non_finite_value(s: &str) -> Option<f64> {
    match s {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => None,
    }
}

/// `value` as pretty JSON (four-space indents are `serde_json`'s two), non-finite numbers as
/// strings.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&Keep(value))
}

/// `value` as compact JSON, non-finite numbers as strings.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string(&Keep(value))
}

/// `value` as a JSON tree, non-finite numbers as strings.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<serde_json::Value> {
    serde_json::to_value(Keep(value))
}

/// A problem reading JSON: 1-based line and column, and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// 1-based line (0 when serde_json knows none).
    pub line: usize,
    /// 1-based column (0 when serde_json knows none).
    pub column: usize,
    /// What is wrong, without the position.
    pub message: String,
    /// Whether it is a `null` where a number belongs ([`NULL_NUMBER`]).
    pub null_number: bool,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl From<serde_json::Error> for Located {
    fn from(e: serde_json::Error) -> Located {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
        let null_number = message == NULL_NUMBER || message.starts_with("invalid type: null, expected f");
        let message =
            if null_number && message != NULL_NUMBER { format!("{NULL_NUMBER} ({message})") } else { plain(&message) };
        Located { line: e.line(), column: e.column(), message, null_number }
    }
}

/// serde's words for a type (`u32`, `f64`) said as a scenario's problems say them.
fn type_words(t: &str) -> &str {
    match t {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer",
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer",
        "f32" | "f64" => "a number",
        "a string" | "a borrowed string" | "string" => "a string",
        "a boolean" | "bool" => "`true` or `false`",
        _ => t,
    }
}

/// A `serde_json` message in the words the scenario reader uses: `invalid value: integer
/// `-3`, expected u32` is `expected a non-negative integer, found -3`; `EOF while parsing a
/// value` says the file is cut short. Others are kept.
fn plain(message: &str) -> String {
    if message.starts_with("EOF while parsing") {
        return "the file ends in the middle of a value: it was cut short".to_string();
    }
    for prefix in ["invalid value: ", "invalid type: "] {
        let Some(rest) = message.strip_prefix(prefix) else { continue };
        let Some((found, expected)) = rest.split_once(", expected ") else { continue };
        // `integer `-3``, `floating point `2.5``, `string "x"`, `map`, `sequence`.
        let found = match found.split_once(' ') {
            Some(("integer" | "floating", v)) => v.trim_start_matches("point ").trim_matches('`').to_string(),
            Some(("string", v)) => format!("the string {v}"),
            _ => match found {
                "map" => "an object `{…}`".to_string(),
                "sequence" => "a list `[…]`".to_string(),
                "null" => "`null`".to_string(),
                other => other.to_string(),
            },
        };
        return format!("expected {}, found {found}", type_words(expected));
    }
    message.to_string()
}

/// Reads `T` from JSON text, taking `"inf"`, `"-inf"` and `"NaN"` where numbers belong.
pub fn from_str<T: de::DeserializeOwned>(src: &str) -> Result<T, Located> {
    let mut d = serde_json::Deserializer::from_str(src);
    let value = T::deserialize(De(&mut d)).map_err(Located::from)?;
    d.end().map_err(Located::from)?;
    Ok(value)
}

/// Where each value of a JSON text starts: field path → byte offset. Paths are those of
/// scenario problems (`agents[0].power`): object keys joined by `.`, array elements as `[i]`;
/// an enum written as a one-key object whose key starts with a capital (`{"Fixed": 2.0}`) is
/// also entered under its own path with its payload's position, as RON paths do. Text that is
/// not valid JSON gives what was read up to the fault.
pub fn value_starts(src: &str) -> std::collections::BTreeMap<String, usize> {
    scan(src).0
}

/// [`value_starts`], and where each object key starts (its path, its opening quote).
fn scan(src: &str) -> (std::collections::BTreeMap<String, usize>, Vec<(String, usize)>) {
    let mut out = std::collections::BTreeMap::new();
    let mut s = Scan { b: src.as_bytes(), i: 0, keys: Vec::new(), depth: 0 };
    s.value(String::new(), &mut out);
    (out, s.keys)
}

/// The 1-based line and column of the value at `path` (or of its nearest ancestor found).
pub fn position_of(src: &str, path: &str) -> Option<(usize, usize)> {
    let starts = value_starts(src);
    let cuts = path.char_indices().rev().filter(|&(_, c)| c == '.' || c == '[').map(|(i, _)| i);
    let at = [path.len()].into_iter().chain(cuts).find_map(|i| starts.get(&path[..i]).copied())?;
    Some(crate::spanned_ron::line_col(src, at))
}

/// The path of the innermost value starting at or before line `line`, column `column`.
pub fn path_at(src: &str, line: usize, column: usize) -> Option<String> {
    let line_start = src.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum::<usize>();
    let rest = src.get(line_start..)?;
    let offset = line_start + rest.char_indices().nth(column.saturating_sub(1)).map_or(rest.len(), |(i, _)| i);
    // Keys count too: an unknown field is reported at its key, before any value of its own.
    let (values, keys) = scan(src);
    values
        .into_iter()
        .chain(keys)
        .filter(|&(_, at)| at <= offset)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.len().cmp(&a.0.len())))
        .map(|(p, _)| p)
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    /// Each object key read: its path and where its opening quote is.
    keys: Vec<(String, usize)>,
    /// How deep in arrays and objects the value read is.
    depth: usize,
}

/// The deepest a scan reads (serde_json's own limit, past which the text is refused anyway):
/// 30,000 nested arrays overflowed the stack.
const MAX_DEPTH: usize = 128;

impl Scan<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn string(&mut self) -> Option<String> {
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    let raw = std::str::from_utf8(&self.b[start..self.i]).ok()?;
                    return serde_json::from_str(raw).ok();
                }
                _ => self.i += 1,
            }
        }
        None
    }
    /// Reads one value at `path`; false when the text ends or breaks.
    fn value(&mut self, path: String, out: &mut std::collections::BTreeMap<String, usize>) -> bool {
        if self.depth > MAX_DEPTH {
            return false;
        }
        self.depth += 1;
        let read = self.value_here(path, out);
        self.depth -= 1;
        read
    }
    fn value_here(&mut self, path: String, out: &mut std::collections::BTreeMap<String, usize>) -> bool {
        self.ws();
        let Some(&c) = self.b.get(self.i) else { return false };
        out.insert(path.clone(), self.i);
        let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
        match c {
            b'{' => {
                self.i += 1;
                let mut keys = 0;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b'}') => {
                            self.i += 1;
                            return true;
                        }
                        Some(b',') => self.i += 1,
                        Some(b'"') => {
                            let key_at = self.i;
                            let Some(key) = self.string() else { return false };
                            self.keys.push((join(&key), key_at));
                            self.ws();
                            if self.b.get(self.i) != Some(&b':') {
                                return false;
                            }
                            self.i += 1;
                            keys += 1;
                            let inner = join(&key);
                            if !self.value(inner.clone(), out) {
                                return false;
                            }
                            let enum_like = keys == 1 && key.starts_with(|c: char| c.is_ascii_uppercase());
                            self.ws();
                            if enum_like && self.b.get(self.i) == Some(&b'}') {
                                // The payload, at the enum's own path (and its elements too).
                                let under: Vec<(String, usize)> = out
                                    .range(inner.clone()..)
                                    .take_while(|(p, _)| p.starts_with(&inner))
                                    .map(|(p, &at)| (format!("{path}{}", &p[inner.len()..]), at))
                                    .collect();
                                out.extend(under);
                            }
                        }
                        _ => return false,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut k = 0;
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b']') => {
                            self.i += 1;
                            return true;
                        }
                        Some(b',') => self.i += 1,
                        Some(_) => {
                            if !self.value(format!("{path}[{k}]"), out) {
                                return false;
                            }
                            k += 1;
                        }
                        None => return false,
                    }
                }
            }
            b'"' => self.string().is_some(),
            _ => {
                let start = self.i;
                while self.i < self.b.len()
                    && !matches!(self.b[self.i], b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
                {
                    self.i += 1;
                }
                // A value of no bytes (`[}`) is where the text breaks: reading on from there
                // would find the same nothing for ever.
                self.i > start
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writing: a serializer that passes everything through but non-finite floats.

struct Keep<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Serialize for Keep<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Ser(s))
    }
}

struct Ser<S>(S);

/// A compound serializer whose every element goes through [`Ser`].
struct Compound<C>(C);

macro_rules! forward_ser {
    ($($name:ident($ty:ty)),* $(,)?) => {
        $(fn $name(self, v: $ty) -> Result<S::Ok, S::Error> { self.0.$name(v) })*
    };
}

impl<S: Serializer> Serializer for Ser<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<S::SerializeSeq>;
    type SerializeTuple = Compound<S::SerializeTuple>;
    type SerializeTupleStruct = Compound<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<S::SerializeTupleVariant>;
    type SerializeMap = Compound<S::SerializeMap>;
    type SerializeStruct = Compound<S::SerializeStruct>;
    type SerializeStructVariant = Compound<S::SerializeStructVariant>;

    forward_ser!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        if v.is_finite() { self.0.serialize_f32(v) } else { self.0.serialize_str(non_finite_name(v as f64)) }
    }
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        if v.is_finite() { self.0.serialize_f64(v) } else { self.0.serialize_str(non_finite_name(v)) }
    }
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Keep(v))
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }
    fn serialize_unit_variant(self, name: &'static str, i: u32, variant: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(name, i, variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, v: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(name, &Keep(v))
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        i: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_variant(name, i, variant, &Keep(v))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(Compound)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len).map(Compound)
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len).map(Compound)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0.serialize_tuple_variant(name, i, variant, len).map(Compound)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(Compound)
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(name, len).map(Compound)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0.serialize_struct_variant(name, i, variant, len).map(Compound)
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// The compound serialisers pass every element, field or entry through [`Keep`].
macro_rules! keep_elements {
    ($($trait:ident::$method:ident),*) => {$(
        impl<C: ser::$trait> ser::$trait for Compound<C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn $method<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), C::Error> {
                self.0.$method(&Keep(v))
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.0.end()
            }
        }
    )*};
}

keep_elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! keep_fields {
    ($($trait:ident),*) => {$(
        impl<C: ser::$trait> ser::$trait for Compound<C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, v: &T) -> Result<(), C::Error> {
                self.0.serialize_field(key, &Keep(v))
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
                self.0.skip_field(key)
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.0.end()
            }
        }
    )*};
}

keep_fields!(SerializeStruct, SerializeStructVariant);

impl<C: ser::SerializeMap> ser::SerializeMap for Compound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, k: &T) -> Result<(), C::Error> {
        self.0.serialize_key(&Keep(k))
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), C::Error> {
        self.0.serialize_value(&Keep(v))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.0.end()
    }
}

// ---------------------------------------------------------------------------------------------
// Reading: a deserializer that passes everything through, but where a float is asked for it
// also takes the non-finite names, and refuses `null` with [`NULL_NUMBER`].

struct De<D>(D);

/// A visitor whose nested deserializers, sequences, maps and enums go through [`De`].
struct Vis<V>(V);

/// A float visitor that also takes the non-finite names.
struct FloatVis<V>(V);

struct Seed<T>(T);

macro_rules! forward_de {
    ($($name:ident),* $(,)?) => {
        $(fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> { self.0.$name(Vis(v)) })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for De<D> {
    type Error = D::Error;

    forward_de!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any,
    );

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(FloatVis(v))
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(FloatVis(v))
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Vis(v))
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Vis(v))
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Vis(v))
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Vis(v))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, Vis(v))
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Vis(v))
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($name:ident($ty:ty)),* $(,)?) => {
        $(fn $name<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> { self.0.$name(v) })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Vis<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }
    forward_visit!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_str(&str),
        visit_borrowed_str(&'de str),
        visit_string(String),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>),
    );
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(De(d))
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(De(d))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
        self.0.visit_seq(Access(a))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(Access(a))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(Access(a))
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for FloatVis<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number (or \"inf\", \"-inf\", \"NaN\")")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.0.visit_f64(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.0.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.0.visit_u64(v)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        match non_finite_value(s) {
            Some(v) => self.0.visit_f64(v),
            None => Err(E::invalid_value(de::Unexpected::Str(s), &self)),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(E::custom(NULL_NUMBER))
    }
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<T> {
    type Value = T::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
        self.0.deserialize(De(d))
    }
}

/// Sequence, map, enum and variant access whose values go through [`De`].
struct Access<A>(A);

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Access<A> {
    type Error = A::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Access<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Access<A> {
    type Error = A::Error;
    type Variant = Access<A::Variant>;
    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self::Variant), A::Error> {
        self.0.variant_seed(Seed(seed)).map(|(v, a)| (v, Access(a)))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Access<A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Vis(v))
    }
    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], v: V) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Vis(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct T {
        a: f64,
        b: Option<f64>,
        c: Vec<f64>,
        e: E,
        n: u32,
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    enum E {
        Fixed(f64),
        Pair(f64, f64),
        Named { x: f64 },
    }

    #[test]
    fn non_finite_numbers_survive_and_finite_ones_stay_numbers() {
        let t = T {
            a: f64::INFINITY,
            b: Some(f64::NEG_INFINITY),
            c: vec![0.1, f64::NEG_INFINITY, 3.0],
            e: E::Pair(f64::INFINITY, -2.5),
            n: 7,
        };
        let text = to_string(&t).unwrap();
        assert_eq!(text, r#"{"a":"inf","b":"-inf","c":[0.1,"-inf",3.0],"e":{"Pair":["inf",-2.5]},"n":7}"#);
        assert_eq!(from_str::<T>(&text).unwrap(), t);
        let named = E::Named { x: f64::NEG_INFINITY };
        assert_eq!(from_str::<E>(&to_string(&named).unwrap()).unwrap(), named);
        let nan: f64 = from_str(&to_string(&f64::NAN).unwrap()).unwrap();
        assert!(nan.is_nan());
    }

    /// Found by fuzzing (fuzz/, target `run_json`): a value that is no bytes at all, such as
    /// `}` inside a list, used to be read again and again for ever, growing the map each time.
    #[test]
    fn a_list_broken_by_a_brace_ends_the_scan() {
        let starts = value_starts("{\"a\": [1, }");
        assert_eq!(starts.get("a[0]"), Some(&7));
        assert_eq!(starts.get("a[1]"), Some(&10));
        assert_eq!(starts.len(), 4, "{starts:?}");
        assert_eq!(path_at("[}", 1, 2).as_deref(), Some("[0]"));
    }

    #[test]
    fn an_unknown_field_is_named_not_the_field_before_it() {
        // serde reports an unknown field just after its key, before any value of its own.
        let src = "{\"run\": {\"seed\": 0,\n \"bogus\": 1}}";
        assert_eq!(path_at(src, 2, 9).as_deref(), Some("run.bogus"));
        assert_eq!(path_at(src, 1, 18).as_deref(), Some("run.seed"));
    }

    #[test]
    fn a_null_number_and_a_bad_string_are_located() {
        let e =
            from_str::<T>("{\"a\": 1,\n \"b\": null, \"c\": [1, null], \"e\": {\"Fixed\": 1}, \"n\": 1}").unwrap_err();
        assert_eq!((e.line, e.null_number), (2, true), "{e}");
        assert_eq!(e.message, NULL_NUMBER);
        let e = from_str::<T>("{\"a\": \"infinity\", \"b\": null, \"c\": [], \"e\": {\"Fixed\": 1}, \"n\": 1}")
            .unwrap_err();
        assert_eq!((e.line, e.column, e.null_number), (1, 16, false), "{e}");
        assert!(e.message.contains("\"infinity\""), "{e}");
        // A string where a string belongs stays a string; `inf` is not a u32.
        assert!(from_str::<String>("\"inf\"").unwrap() == "inf");
        assert!(from_str::<u32>("\"inf\"").is_err());
    }
}

#[cfg(test)]
mod plain_tests {
    use super::*;

    #[test]
    fn deeply_nested_text_is_scanned_without_overflowing_the_stack() {
        // The files tour (2026-12-07): `{"scenario": [[[…]]]}` 30,000 deep aborted `polity
        // check` with a stack overflow. (Run on a test thread's small stack.)
        let n = 100_000;
        let text = format!("{{\"scenario\": {}{}}}", "[".repeat(n), "]".repeat(n));
        let starts = value_starts(&text);
        assert!(starts.contains_key("scenario[0][0]") && starts.len() <= MAX_DEPTH + 2, "{}", starts.len());
        assert_eq!(position_of(&text, "scenario"), Some((1, 14)));
        assert!(path_at(&text, 1, 20).is_some());
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct C {
        count: u32,
        rate: f64,
    }

    #[test]
    fn serde_messages_are_said_in_the_readers_words() {
        let e = |src: &str| from_str::<C>(src).unwrap_err().message;
        assert_eq!(e(r#"{"count": -3, "rate": 1}"#), "expected a non-negative integer, found -3");
        assert_eq!(e(r#"{"count": 2.5, "rate": 1}"#), "expected a non-negative integer, found 2.5");
        assert_eq!(
            e(r#"{"count": 2, "rate": "x"}"#),
            r#"expected a number (or "inf", "-inf", "NaN"), found the string "x""#
        );
        assert_eq!(e(r#"{"count": [1], "rate": 1}"#), "expected a non-negative integer, found a list `[…]`");
        assert_eq!(e(r#"{"count": 2, "ra"#), "the file ends in the middle of a value: it was cut short");
        // Others are kept as serde says them.
        assert!(e(r#"{"count": 2}"#).contains("missing field `rate`"));
    }
}

//! A compact, sorted label (or annotation) set: one slice of shared strings instead of a
//! `BTreeMap`'s nodes. Label names and most values repeat across thousands of alerts, so a
//! decoder can share them (see [`Interner`]); an alert's labels then cost two pointers each,
//! and an alert whose whole set was seen before (the same alert in the next poll's answer)
//! shares that set too.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// Name/value pairs, sorted by name, each name once (a later pair with the same name
/// replaces the earlier one, as inserting into a map does). Cloning shares the set.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Labels(Arc<[(Arc<str>, Arc<str>)]>);

/// Anything that answers "what is this label's value": [`Labels`] and plain maps alike.
pub trait LabelLookup {
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl LabelLookup for Labels {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

impl LabelLookup for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Labels {
    /// From pairs in any order; the last value of a repeated name wins.
    pub fn from_pairs(mut pairs: Vec<(Arc<str>, Arc<str>)>) -> Labels {
        // Stable: among equal names the later pair stays later, and is the one kept.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Arc<str>, Arc<str>)> = Vec::with_capacity(pairs.len());
        for p in pairs {
            match out.last_mut() {
                Some(last) if last.0 == p.0 => *last = p,
                _ => out.push(p),
            }
        }
        Labels(out.into())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| &*self.0[i].1)
    }

    /// The value of `name` as the shared string the set holds: a copy of it costs a count.
    pub fn get_shared(&self, name: &str) -> Option<&Arc<str>> {
        self.position(name).map(|i| &self.0[i].1)
    }

    fn position(&self, name: &str) -> Option<usize> {
        // Most sets hold a handful of labels: compared for equality, lengths settle almost
        // every pair without reading a byte, where ordering must read them.
        if self.0.len() <= 8 {
            self.0.iter().position(|(k, _)| **k == *name)
        } else {
            self.0.binary_search_by(|(k, _)| (**k).cmp(name)).ok()
        }
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Pairs in name order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a str, &'a str);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Arc<str>, Arc<str>)>,
        fn(&'a (Arc<str>, Arc<str>)) -> (&'a str, &'a str),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Labels {
        Labels::from_pairs(
            iter.into_iter()
                .map(|(k, v)| (Arc::from(k.as_ref()), Arc::from(v.as_ref())))
                .collect(),
        )
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> From<[(K, V); N]> for Labels {
    fn from(pairs: [(K, V); N]) -> Labels {
        pairs.into_iter().collect()
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(m: BTreeMap<String, String>) -> Labels {
        m.into_iter().collect()
    }
}

impl From<&BTreeMap<String, String>> for Labels {
    fn from(m: &BTreeMap<String, String>) -> Labels {
        m.iter().collect()
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Labels, D::Error> {
        d.deserialize_map(LabelsVisitor(None))
    }
}

/// Shares equal strings and equal label sets: each distinct label name or value, and each
/// distinct set, is held once. Kept from one decode to the next (see
/// [`Interner::forget_unused`]), the next answer's labels share what the alerts on screen
/// already hold.
#[derive(Default)]
pub struct Interner {
    strings: HashSet<Arc<str>>,
    sets: HashSet<Labels>,
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner")
            .field("strings", &self.strings.len())
            .field("sets", &self.sets.len())
            .finish()
    }
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strings.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.strings.insert(a.clone());
        a
    }

    /// The set already held if an equal one is, else `set` (now held too).
    pub fn intern_set(&mut self, set: Labels) -> Labels {
        if let Some(held) = self.sets.get(&set) {
            return held.clone();
        }
        self.sets.insert(set.clone());
        set
    }

    /// Drops every set and string nothing but the interner holds any more (the alerts that
    /// used them are gone), so keeping an interner across decodes does not grow it forever.
    pub fn forget_unused(&mut self) {
        self.sets.retain(|l| Arc::strong_count(&l.0) > 1);
        self.strings.retain(|s| Arc::strong_count(s) > 1);
    }

    /// How many strings and sets it holds.
    pub fn held(&self) -> (usize, usize) {
        (self.strings.len(), self.sets.len())
    }
}

/// Decodes a JSON object of strings into [`Labels`], sharing strings through the interner
/// when one is given. `null` is the empty set.
pub struct LabelsVisitor<'i>(pub Option<&'i mut Interner>);

impl<'de> Visitor<'de> for LabelsVisitor<'_> {
    type Value = Labels;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of strings")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Labels, E> {
        Ok(Labels::default())
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut m: A) -> Result<Labels, A::Error> {
        let mut pairs = Vec::with_capacity(m.size_hint().unwrap_or(0));
        while let Some(k) = m.next_key_seed(Str(self.0.as_deref_mut()))? {
            let v = m.next_value_seed(Str(self.0.as_deref_mut()))?;
            pairs.push((k, v));
        }
        let set = Labels::from_pairs(pairs);
        Ok(match self.0 {
            Some(i) => i.intern_set(set),
            None => set,
        })
    }
}

/// One string, shared through the interner when there is one.
struct Str<'i>(Option<&'i mut Interner>);

impl<'de> serde::de::DeserializeSeed<'de> for Str<'_> {
    type Value = Arc<str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Arc<str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Str<'_> {
    type Value = Arc<str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Arc<str>, E> {
        Ok(match self.0 {
            Some(i) => i.intern(v),
            None => Arc::from(v),
        })
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for LabelsVisitor<'_> {
    type Value = Labels;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Labels, D::Error> {
        d.deserialize_any(self)
    }
}

thread_local! {
    /// The interner of the decode under way on this thread, if any (see [`sharing_strings`]).
    static SHARED: std::cell::RefCell<Option<Interner>> = const { std::cell::RefCell::new(None) };
}

/// Runs `decode` with `interner` shared by every [`Labels`] that [`deserialize_shared`]
/// decodes meanwhile on this thread, so 100,000 alerts' `alertname`, `service`, `job`, … and
/// their repeated values are held once each (and, with an interner kept from the last
/// decode, what the last answer held is reused).
pub fn sharing_strings<R>(interner: &mut Interner, decode: impl FnOnce() -> R) -> R {
    let outer = SHARED.with_borrow_mut(|s| s.replace(std::mem::take(interner)));
    let r = decode();
    *interner = SHARED
        .with_borrow_mut(|s| std::mem::replace(s, outer))
        .unwrap_or_default();
    r
}

/// `#[serde(deserialize_with = …)]` for [`Labels`]: shares strings inside
/// [`sharing_strings`], and reads `null` as no labels.
pub fn deserialize_shared<'de, D: Deserializer<'de>>(d: D) -> Result<Labels, D::Error> {
    use serde::de::DeserializeSeed;
    let mut taken = SHARED.with_borrow_mut(Option::take);
    let r = LabelsVisitor(taken.as_mut()).deserialize(d);
    if taken.is_some() {
        SHARED.with_borrow_mut(|s| *s = taken);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Wire {
        #[serde(default, deserialize_with = "deserialize_shared")]
        labels: Labels,
    }

    #[test]
    fn reads_like_a_map_sorted_and_the_last_of_a_repeated_name_wins() {
        let w: Wire =
            serde_json::from_str(r#"{"labels":{"b":"2","a":"1","b":"3","c\u0041":"x\n"}}"#)
                .unwrap();
        let pairs: Vec<(&str, &str)> = w.labels.iter().collect();
        assert_eq!(pairs, [("a", "1"), ("b", "3"), ("cA", "x\n")]);
        assert_eq!(w.labels.get("b"), Some("3"));
        assert_eq!(w.labels.get("z"), None);
        assert_eq!(
            serde_json::to_string(&w.labels).unwrap(),
            r#"{"a":"1","b":"3","cA":"x\n"}"#
        );
        let null: Wire = serde_json::from_str(r#"{"labels":null}"#).unwrap();
        assert!(null.labels.is_empty());
        let map = BTreeMap::from([("b".to_string(), "3".to_string())]);
        assert_eq!(Labels::from(&map).to_map(), map);
    }

    #[test]
    fn one_decode_holds_each_repeated_name_and_value_once() {
        let body = r#"[{"labels":{"job":"node","i":"1"}},{"labels":{"job":"node","i":"2"}}]"#;
        let mut interner = Interner::default();
        let two: Vec<Wire> = sharing_strings(&mut interner, || serde_json::from_str(body)).unwrap();
        let (a, b) = (&two[0].labels.0, &two[1].labels.0);
        assert!(Arc::ptr_eq(&a[1].0, &b[1].0), "the name `job` twice");
        assert!(Arc::ptr_eq(&a[1].1, &b[1].1), "the value `node` twice");
        assert!(!Arc::ptr_eq(&a[0].1, &b[0].1));
        // Outside a shared decode nothing is kept between alerts.
        let apart: Vec<Wire> = serde_json::from_str(body).unwrap();
        assert!(!Arc::ptr_eq(
            &apart[0].labels.0[1].1,
            &apart[1].labels.0[1].1
        ));
    }
}

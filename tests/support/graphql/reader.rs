//! A small GraphQL reader, enough for executable documents without fragments or directives
//! (what warroom sends NerdGraph): tokens, one operation with its variable definitions, and
//! the selection set with each field's arguments.

use super::TypeRef;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Punct(char),
    Name(String),
    Int(String),
    Float(String),
    Str(String),
}

pub(super) fn lex(src: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' | ',' | '\u{feff}' => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '!' | '$' | '(' | ')' | '{' | '}' | '[' | ']' | ':' | '=' | '@' | '|' | '&' => {
                out.push(Token::Punct(c));
                i += 1;
            }
            '.' => {
                if chars.get(i..i + 3) == Some(&['.', '.', '.']) {
                    return Err("fragments (...) are not read by this checker".into());
                }
                return Err(format!("unexpected '.' at {i}"));
            }
            '"' => {
                if chars.get(i..i + 3) == Some(&['"', '"', '"']) {
                    let start = i + 3;
                    let mut j = start;
                    while j + 2 < chars.len() && chars[j..j + 3] != ['"', '"', '"'] {
                        j += 1;
                    }
                    if j + 2 >= chars.len() {
                        return Err("unterminated block string".into());
                    }
                    out.push(Token::Str(chars[start..j].iter().collect()));
                    i = j + 3;
                    continue;
                }
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None | Some('\n') => return Err("unterminated string".into()),
                        Some('"') => break,
                        Some('\\') => {
                            let e = chars.get(i + 1).ok_or("unterminated escape")?;
                            match e {
                                '"' | '\\' | '/' => s.push(*e),
                                'n' => s.push('\n'),
                                't' => s.push('\t'),
                                'r' => s.push('\r'),
                                'b' => s.push('\u{8}'),
                                'f' => s.push('\u{c}'),
                                'u' => {
                                    let hex: String = chars
                                        .get(i + 2..i + 6)
                                        .ok_or("short \\u")?
                                        .iter()
                                        .collect();
                                    let n = u32::from_str_radix(&hex, 16)
                                        .map_err(|_| format!("bad \\u{hex}"))?;
                                    s.push(char::from_u32(n).unwrap_or('\u{fffd}'));
                                    i += 4;
                                }
                                other => return Err(format!("bad escape \\{other}")),
                            }
                            i += 2;
                        }
                        Some(c) => {
                            s.push(*c);
                            i += 1;
                        }
                    }
                }
                i += 1;
                out.push(Token::Str(s));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                let mut float = false;
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || matches!(chars[i], '.' | 'e' | 'E' | '+' | '-'))
                {
                    float |= matches!(chars[i], '.' | 'e' | 'E');
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(if float {
                    Token::Float(text)
                } else {
                    Token::Int(text)
                });
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                out.push(Token::Name(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character {other:?}")),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Variable(String),
    Int(String),
    Float(String),
    Str(String),
    Bool(bool),
    Null,
    Enum(String),
    List(Vec<Literal>),
    Object(Vec<(String, Literal)>),
}

#[derive(Debug)]
pub(super) struct Selection {
    pub name: String,
    pub args: Vec<(String, Literal)>,
    pub selections: Vec<Selection>,
}

pub(super) struct Operation {
    pub kind: String,
    pub variables: Vec<(String, TypeRef)>,
    pub selections: Vec<Selection>,
}

pub(super) struct Parser {
    pub tokens: Vec<Token>,
    pub at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, String> {
        let t = self.tokens.get(self.at).cloned().ok_or("unexpected end")?;
        self.at += 1;
        Ok(t)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Token::Punct(c)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected {c:?}, found {:?}", self.peek()))
        }
    }

    fn name(&mut self) -> Result<String, String> {
        match self.next()? {
            Token::Name(n) => Ok(n),
            t => Err(format!("expected a name, found {t:?}")),
        }
    }

    pub fn operation(&mut self) -> Result<Operation, String> {
        let mut kind = "query".to_string();
        let mut variables = Vec::new();
        if let Some(Token::Name(k)) = self.peek() {
            kind = k.clone();
            self.at += 1;
            if let Some(Token::Name(_)) = self.peek() {
                self.at += 1; // the operation's name
            }
            if self.eat('(') {
                while !self.eat(')') {
                    self.expect('$')?;
                    let n = self.name()?;
                    self.expect(':')?;
                    let t = self.type_ref()?;
                    if self.eat('=') {
                        self.value()?;
                    }
                    variables.push((n, t));
                }
            }
        }
        if self.peek() == Some(&Token::Punct('@')) {
            return Err("directives are not read by this checker".into());
        }
        let selections = self.selection_set()?;
        Ok(Operation {
            kind,
            variables,
            selections,
        })
    }

    fn type_ref(&mut self) -> Result<TypeRef, String> {
        let t = if self.eat('[') {
            let inner = self.type_ref()?;
            self.expect(']')?;
            TypeRef::List(Box::new(inner))
        } else {
            TypeRef::Named(self.name()?)
        };
        Ok(if self.eat('!') {
            TypeRef::NonNull(Box::new(t))
        } else {
            t
        })
    }

    fn selection_set(&mut self) -> Result<Vec<Selection>, String> {
        self.expect('{')?;
        let mut out = Vec::new();
        while !self.eat('}') {
            let mut name = self.name()?;
            if self.eat(':') {
                name = self.name()?; // an alias: the field is the second name
            }
            let mut args = Vec::new();
            if self.eat('(') {
                while !self.eat(')') {
                    let a = self.name()?;
                    self.expect(':')?;
                    args.push((a, self.value()?));
                }
            }
            if self.peek() == Some(&Token::Punct('@')) {
                return Err("directives are not read by this checker".into());
            }
            let selections = if self.peek() == Some(&Token::Punct('{')) {
                self.selection_set()?
            } else {
                Vec::new()
            };
            out.push(Selection {
                name,
                args,
                selections,
            });
        }
        if out.is_empty() {
            return Err("an empty selection set".into());
        }
        Ok(out)
    }

    fn value(&mut self) -> Result<Literal, String> {
        Ok(match self.next()? {
            Token::Punct('$') => Literal::Variable(self.name()?),
            Token::Int(i) => Literal::Int(i),
            Token::Float(f) => Literal::Float(f),
            Token::Str(s) => Literal::Str(s),
            Token::Name(n) => match n.as_str() {
                "true" => Literal::Bool(true),
                "false" => Literal::Bool(false),
                "null" => Literal::Null,
                _ => Literal::Enum(n),
            },
            Token::Punct('[') => {
                let mut items = Vec::new();
                while !self.eat(']') {
                    items.push(self.value()?);
                }
                Literal::List(items)
            }
            Token::Punct('{') => {
                let mut members = Vec::new();
                while !self.eat('}') {
                    let k = self.name()?;
                    self.expect(':')?;
                    members.push((k, self.value()?));
                }
                Literal::Object(members)
            }
            t => return Err(format!("unexpected {t:?} where a value belongs")),
        })
    }
}

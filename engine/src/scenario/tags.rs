//! `--tag` expressions: tag names combined with `and`, `or`, `not` and parentheses,
//! e.g. `certification and not slow`, `(payments or refunds) and smoke`.

#[derive(Debug, Clone, PartialEq)]
pub enum TagExpr {
    Tag(String),
    Not(Box<TagExpr>),
    And(Box<TagExpr>, Box<TagExpr>),
    Or(Box<TagExpr>, Box<TagExpr>),
}

impl TagExpr {
    pub fn parse(text: &str) -> Result<TagExpr, String> {
        let tokens = tokenize(text);
        if tokens.is_empty() {
            return Err("empty tag expression".into());
        }
        let mut parser = Parser { tokens, at: 0 };
        let expr = parser.or()?;
        match parser.tokens.get(parser.at) {
            None => Ok(expr),
            Some(t) => Err(format!("unexpected `{t}` in tag expression `{text}`")),
        }
    }

    pub fn matches(&self, tags: &[String]) -> bool {
        match self {
            TagExpr::Tag(t) => tags.iter().any(|x| x == t),
            TagExpr::Not(e) => !e.matches(tags),
            TagExpr::And(a, b) => a.matches(tags) && b.matches(tags),
            TagExpr::Or(a, b) => a.matches(tags) || b.matches(tags),
        }
    }
}

fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c == '(' || c == ')' || c == '!' || c.is_whitespace() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

struct Parser {
    tokens: Vec<String>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }
    fn or(&mut self) -> Result<TagExpr, String> {
        let mut left = self.and()?;
        while matches!(self.peek(), Some("or") | Some("||")) {
            self.at += 1;
            left = TagExpr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<TagExpr, String> {
        let mut left = self.not()?;
        while matches!(self.peek(), Some("and") | Some("&&")) {
            self.at += 1;
            left = TagExpr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }
    fn not(&mut self) -> Result<TagExpr, String> {
        if matches!(self.peek(), Some("not") | Some("!")) {
            self.at += 1;
            return Ok(TagExpr::Not(Box::new(self.not()?)));
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<TagExpr, String> {
        match self.peek().map(str::to_string) {
            Some(t) if t == "(" => {
                self.at += 1;
                let e = self.or()?;
                if self.peek() != Some(")") {
                    return Err("missing `)` in tag expression".into());
                }
                self.at += 1;
                Ok(e)
            }
            Some(t) if [")", "and", "or", "&&", "||"].contains(&t.as_str()) => {
                Err(format!("unexpected `{t}` in tag expression"))
            }
            Some(t) => {
                self.at += 1;
                Ok(TagExpr::Tag(t))
            }
            None => Err("tag expression ends too early".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn boolean_expressions() {
        let e = TagExpr::parse("certification and not slow").unwrap();
        assert!(e.matches(&tags(&["certification"])));
        assert!(!e.matches(&tags(&["certification", "slow"])));
        let e = TagExpr::parse("(a or b) and c").unwrap();
        assert!(e.matches(&tags(&["b", "c"])));
        assert!(!e.matches(&tags(&["a"])));
    }

    #[test]
    fn errors_are_reported() {
        assert!(TagExpr::parse("a and").is_err());
        assert!(TagExpr::parse("(a").is_err());
        assert!(TagExpr::parse("").is_err());
    }
}

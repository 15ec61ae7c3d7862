//! Field-level form errors, shown next to each field and in the summary at the top.

/// Whether an HTML checkbox was ticked: browsers send its `value` (default `on`) or nothing.
pub fn is_checked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    errors: Vec<FieldError>,
}

#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.errors.push(FieldError {
                field,
                message: message.into(),
            });
        }
    }

    /// Records the error of a parse result and returns the value, if any.
    pub fn check<T, E: ToString>(
        &mut self,
        field: &'static str,
        result: Result<T, E>,
    ) -> Option<T> {
        result.map_err(|e| self.add(field, e.to_string())).ok()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.errors.iter()
    }

    pub fn single(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::FormErrors;

    #[test]
    fn a_checkbox_is_ticked_only_when_sent_with_a_value() {
        assert!(super::is_checked(&Some("on".into())));
        assert!(!super::is_checked(&None));
        assert!(!super::is_checked(&Some("false".into())));
    }

    #[test]
    fn the_first_error_of_a_field_is_kept() {
        let mut errors = FormErrors::default();
        errors.add("email", "first");
        errors.add("email", "second");
        assert_eq!(errors.get("email"), Some("first"));
        assert_eq!(errors.iter().count(), 1);
    }
}

"""From a file to typed deals: the rule-set vocabulary (fields, rule sets, findings), reading
(python-calamine / CSV), header mapping, value coercion and normalization. No Excel library."""

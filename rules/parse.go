package rules

// Parse classifies a chat message and, for a task request, splits and
// checks its four fields.
func Parse(text string, opt Options) Result {
	return Result{}
}

// Example returns a corrected 【…】 for r.
func Example(r Result, lang string) string { return "" }

package prompt

// PolishInstructions is the instruction block for improving a deterministic
// pull-request description (`pr-summary --llm`): the facts stay, only the
// prose gets better.
func PolishInstructions() string {
	return "You edit pull-request descriptions. You get a description generated from a branch's commits " +
		"and the AI-assistant sessions attached to them. Rewrite it as a clear pull-request description in " +
		"GitHub markdown: a one-paragraph summary first, then what changed and why, decisions, open items. " +
		"Use only facts present in the input; do not invent commits, files, numbers or decisions; keep commit " +
		"ids and session ids as they are. Reply with the description only."
}

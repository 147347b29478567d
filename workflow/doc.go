// Package workflow owns multi-step workflows (SPEC §13): the workflow file
// format and its validation, the dependency scheduler that runs the steps
// through a StepRunner, and the run's state as a stream of events that a
// StateSink stores and Rebuild turns back into a State to resume.
//
// It knows nothing of git, models or terminals: package runner implements
// StepRunner on the session engine (open a session, reply, run the fix
// loop) and StateSink (store events as records), the command layer renders
// the events and passes the id generator and the clock. It must not import
// another package of this module.
//
// # The file format
//
// A workflow is a YAML file, by convention .codex/workflows/NAME.yaml, with
// one document:
//
//	name: review                  # optional; default: the file's base name
//	context: [docs/design.md]     # files every step references (one or a list)
//	steps:
//	  - id: survey                # required: a letter or _, then letters,
//	                              # digits, _ and - (at most 64), unique
//	    task: Survey the layout.  # required, not blank
//	    focus: …                  # optional parts of the structured first
//	    scope: …                  # message (## Context, ## Scope,
//	    expect: …                 # ## Expected Output, ## Success Criteria)
//	    criteria: …
//	  - id: api
//	    after: survey             # waits for these steps (one or a list)
//	    task: "Review the API given {{ steps.survey.summary }}"
//	  - id: api-tests
//	    reply_to: api             # continue api's session (implies after)
//	    task: Write the tests.    # sent as the follow-up
//	    check: go test ./api/...  # a string runs in the shell; a list is argv
//	    max: 3                    # fix rounds of the check (default 1)
//	    sandbox: workspace-write  # or read-only; default: the configured one
//	    model: gpt-5              # default: the configured model
//	    engine: responses         # responses, chat or codex
//	    when_failed: retry        # stop (default), continue or retry
//	    retries: 1                # extra attempts with retry (default 2, ≤ 10)
//
// Each step runs in its own session on its own topic, by default
// <branch>/<workflow>/<id> where <workflow> is the file's base name without
// its extension; topic: sets another. A step with reply_to continues the
// session its target ended in, on that session's topic, so it may not set
// topic. Steps run as soon as every step they wait for has passed.
//
// when_failed decides what a failed step (an error, an incomplete answer, a
// check still failing after max rounds) does: stop starts no new step and
// lets running ones finish; continue skips the steps that wait for it,
// directly or not, and runs the others; retry runs it again up to retries
// times, then stops as with stop.
//
// # Templates
//
// task, focus, scope, expect and criteria may use the outputs of steps the
// step waits for, directly or not:
//
//	{{ steps.ID.summary }}   the step's summary (its answer when it has none)
//	{{ steps.ID.answer }}    the step's final answer
//	{{ "{{" }}               a literal {{ (any quoted text is written as is)
//
// Spaces inside the braces are optional. Any other {{ is an error, so a
// literal {{ must be written {{ "{{" }}; a lone }} is ordinary text. check is
// never templated: model output does not reach a shell. The syntax is
// purpose-built rather than text/template, whose {{ .steps.id }} cannot name
// ids with dashes, whose functions and conditionals a workflow does not
// need, and whose errors carry no file position.
//
// # Errors
//
// Parse reports every problem at once, each with its line and column, before
// anything runs, as an ErrorList (errors.Is(err, ErrInvalid)):
//
//	review.yaml:5:5: ',' or ']' must be specified
//	review.yaml:4:5: unknown key "tsk" in a step (did you mean "task"?)
//	review.yaml:6:13: after: unknown step "survy" (did you mean "survey"?)
//	review.yaml:4:12: dependency cycle: a waits for c, c waits for b, b waits for a
//	review.yaml:7:12: {{ steps.a.summary }}: step "b" does not wait for "a"; add "a" to its after
//	review.yaml:9:15: steps "b" and "c" both continue the session of "a" and may run at the same time, which would fork it; make "c" wait for "b" (after: [b])
//
// Also refused: YAML syntax errors and duplicate keys, wrong types, missing
// id or task, duplicate ids, a step waiting for itself, bad when_failed,
// sandbox or engine values, max without check, retries without
// when_failed: retry, topic with reply_to, and two sessions on one topic that
// may run at the same time. Workflow.Warnings lists what runs but is likely
// a mistake (fix rounds a read-only sandbox cannot use).
//
// schema.json (Schema) is the JSON Schema of the format for editors; tests
// keep it and Parse in agreement on every fixture under testdata/.
//
// # Runs
//
// Start runs a workflow; Resume continues one from the State that Rebuild
// makes of its stored events: passed steps keep their outputs and are not
// run again, a step that was running is re-checked (Rechecker) or run again,
// the others run again. Cancelling the context starts no new step and lets
// running steps store what they have; the returned State can be resumed.
// Plan and CriticalPath describe a run without running it (--dry-run).
package workflow

// Package runner runs workflows (package workflow) on the session engine
// and keeps their runs in git: it owns the step runner (Runner: a step is a
// session opened on its topic, or a reply to the session of the step it
// continues, then the fix loop of its check), the run's record stream (Sink
// stores every state transition as a record of kind "run" in the run's
// topic, Topic; List, Read and Find read runs back), the source of a
// resumed run (Keep, Source: the workflow file by blob id) and the cost of
// a run (pricing).
//
// The scheduler (workflow.Start, workflow.Resume) decides what runs when;
// this package decides how a step talks to the model and how a run is
// stored. It writes nowhere but git: what people should see goes to the
// front end through Runner.Notify and the events of the scheduler. It must
// not import go-git, go-openai or urfave/cli.
package runner

// Package workflows holds Kontakt's Temporal workflows and the functions that start and
// signal them. Workflow code is deterministic: it reaches the store, mail and the clock
// only through activities and the workflow package (workflow.Now, timers), and it carries
// IDs, never personal data, because Temporal keeps histories after a person is forgotten.
package workflows

// TaskQueue is the one task queue of the app; worker polls it and every start names it.
const TaskQueue = "kontakt"

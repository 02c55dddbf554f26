// Package deploy holds no code: it is the home of Kontakt's production deployment files
// (the Dockerfile at the repository's root, compose/ for one Docker host, helm/kontakt for
// Kubernetes) and of the tests that validate them: the Dockerfile's build line builds a
// static binary, `docker-compose config` accepts the compose file, and `helm lint` and
// `helm template` accept the chart.
package deploy

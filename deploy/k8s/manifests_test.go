// Package k8s holds the Kubernetes manifests of a sharded partcopy load run
// (kustomization, Indexed Job, merge Job, ConfigMap, PVC) and their tests:
// every manifest decodes strictly into the Kubernetes API types, `kubectl
// kustomize` renders the kustomization, and the Jobs agree with each other.
package k8s

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// objects is what the manifests hold, decoded.
type objects struct {
	jobs       map[string]*batchv1.Job
	configMaps map[string]*corev1.ConfigMap
	pvcs       map[string]*corev1.PersistentVolumeClaim
}

// decodeStrict decodes a multi-document YAML stream into the Kubernetes
// API types by kind; an unknown field, an unknown kind or a missing
// apiVersion/kind fails.
func decodeStrict(t *testing.T, name string, data []byte, into *objects) {
	t.Helper()
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("%s document %d: %v", name, i, err)
		}
		var err error
		switch head.APIVersion + " " + head.Kind {
		case "batch/v1 Job":
			var j batchv1.Job
			err = yaml.UnmarshalStrict([]byte(doc), &j)
			into.jobs[j.Name] = &j
		case "v1 ConfigMap":
			var c corev1.ConfigMap
			err = yaml.UnmarshalStrict([]byte(doc), &c)
			into.configMaps[c.Name] = &c
		case "v1 PersistentVolumeClaim":
			var p corev1.PersistentVolumeClaim
			err = yaml.UnmarshalStrict([]byte(doc), &p)
			into.pvcs[p.Name] = &p
		default:
			t.Fatalf("%s document %d: unexpected %q %q (a Secret, above all, must never be a manifest here)", name, i, head.APIVersion, head.Kind)
		}
		if err != nil {
			t.Fatalf("%s document %d (%s): %v", name, i, head.Kind, err)
		}
	}
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func newObjects() *objects {
	return &objects{jobs: map[string]*batchv1.Job{}, configMaps: map[string]*corev1.ConfigMap{}, pvcs: map[string]*corev1.PersistentVolumeClaim{}}
}

// readManifests decodes every manifest file the kustomization lists.
func readManifests(t *testing.T) *objects {
	t.Helper()
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
		Images     []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
			NewTag  string `json:"newTag"`
		} `json:"images"`
	}
	data, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.Kind != "Kustomization" || len(k.Resources) == 0 {
		t.Fatalf("kustomization.yaml: kind %q, resources %v", k.Kind, k.Resources)
	}
	files, _ := filepath.Glob("*.yaml")
	o := newObjects()
	for _, f := range files {
		if f == "kustomization.yaml" {
			continue
		}
		if !slices.Contains(k.Resources, f) {
			t.Errorf("%s is not among the kustomization's resources", f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		decodeStrict(t, f, data, o)
	}
	return o
}

// TestManifestsDecodeStrictly: every manifest is a valid batch/v1 or
// core/v1 object with no unknown field, and the decoder used does reject
// an unknown field (so the check can fail).
func TestManifestsDecodeStrictly(t *testing.T) {
	o := readManifests(t)
	if len(o.jobs) != 2 || len(o.configMaps) != 1 || len(o.pvcs) != 1 {
		t.Fatalf("jobs %d, config maps %d, PVCs %d; want 2, 1, 1", len(o.jobs), len(o.configMaps), len(o.pvcs))
	}
	bad := []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  completionMode: Indexed\n  complections: 3\n")
	var j batchv1.Job
	if err := yaml.UnmarshalStrict(bad, &j); err == nil {
		t.Error("a misspelt field (complections) was accepted")
	}
}

// TestKustomizeRenders runs `kubectl kustomize` on this directory and
// decodes what it renders, strictly.
func TestKustomizeRenders(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl not found: 'make test' installs it (Debian package kubernetes-client); or apt-get install -y kubernetes-client")
	}
	var stderr bytes.Buffer
	cmd := exec.Command(kubectl, "kustomize", ".")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v: %s", err, stderr.String())
	}
	o := newObjects()
	decodeStrict(t, "kubectl kustomize output", out, o)
	checkJobs(t, o)
}

// TestJobsAgree: the shard count is the same in completions, parallelism
// and both Jobs' --shards; the load Job is Indexed and never retries a
// shard; the merge reads where the shards write; the pods are annotated
// for Prometheus on the port --metrics-addr serves.
func TestJobsAgree(t *testing.T) { checkJobs(t, readManifests(t)) }

func checkJobs(t *testing.T, o *objects) {
	t.Helper()
	lj, mj := o.jobs["partcopy-load"], o.jobs["partcopy-merge"]
	if lj == nil || mj == nil {
		t.Fatalf("jobs %v: want partcopy-load and partcopy-merge", o.jobs)
	}
	s := lj.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("load Job completionMode %v, want Indexed", s.CompletionMode)
	}
	if s.BackoffLimit == nil || *s.BackoffLimit != 0 || mj.Spec.BackoffLimit == nil || *mj.Spec.BackoffLimit != 0 {
		t.Error("backoffLimit must be 0: a failed shard is not re-run")
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions != *s.Parallelism {
		t.Fatalf("completions %v, parallelism %v: want both, equal", s.Completions, s.Parallelism)
	}
	n := *s.Completions
	lc, mc := onlyContainer(t, lj), onlyContainer(t, mj)
	if got := argAfter(lc.Args, "--shards"); got != itoa(n) {
		t.Errorf("load --shards %q, completions %d", got, n)
	}
	if got := argAfter(mc.Args, "--shards"); got != itoa(n) {
		t.Errorf("merge --shards %q, completions %d", got, n)
	}
	if lc.Args[0] != "load" || mc.Args[0] != "report" || mc.Args[1] != "merge" {
		t.Errorf("args %v / %v", lc.Args, mc.Args)
	}
	if out := argAfter(lc.Args, "--out"); mc.Args[2] != out {
		t.Errorf("the merge reads %s, the shards write into %s", mc.Args[2], out)
	}
	for _, f := range []string{"--start-at", "--run-id", "--rate", "--metrics-addr"} {
		if argAfter(lc.Args, f) == "" {
			t.Errorf("load Job args lack %s", f)
		}
	}
	if lj.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q, want Never", lj.Spec.Template.Spec.RestartPolicy)
	}
	ann := lj.Spec.Template.Annotations
	_, port, _ := strings.Cut(argAfter(lc.Args, "--metrics-addr"), ":")
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != port || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("scrape annotations %v, metrics on port %s", ann, port)
	}
	// Both Jobs mount the ReadWriteMany results claim at /results.
	for _, j := range []*batchv1.Job{lj, mj} {
		claim := ""
		for _, v := range j.Spec.Template.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				claim = v.PersistentVolumeClaim.ClaimName
			}
		}
		pvc := o.pvcs[claim]
		if pvc == nil || !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
			t.Errorf("job %s: results claim %q missing or not ReadWriteMany", j.Name, claim)
		}
	}
	checkNoSecrets(t, o)
}

// checkNoSecrets: credentials come from a Secret by reference only; no
// environment variable that looks like a credential has a literal value,
// and no ConfigMap carries one.
func checkNoSecrets(t *testing.T, o *objects) {
	t.Helper()
	secretish := regexp.MustCompile(`(?i)secret|token|password|access_key|key_id`)
	for _, j := range o.jobs {
		for _, c := range j.Spec.Template.Spec.Containers {
			for _, e := range c.Env {
				if secretish.MatchString(e.Name) && (e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
					t.Errorf("job %s: env %s is not a secretKeyRef", j.Name, e.Name)
				}
			}
			for _, a := range c.Args {
				if secretish.MatchString(a) {
					t.Errorf("job %s: argument %q looks like a credential", j.Name, a)
				}
			}
		}
	}
	for _, cm := range o.configMaps {
		for k := range cm.Data {
			if secretish.MatchString(k) {
				t.Errorf("ConfigMap %s holds %s: credentials belong in the Secret", cm.Name, k)
			}
		}
	}
}

func onlyContainer(t *testing.T, j *batchv1.Job) corev1.Container {
	t.Helper()
	cs := j.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("job %s: %d containers, want 1", j.Name, len(cs))
	}
	if cs[0].Image == "" {
		t.Errorf("job %s: no image", j.Name)
	}
	return cs[0]
}

func argAfter(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// TestDockerfile: the image is static and FROM scratch, with CA
// certificates (no Docker engine here to build it; this checks its text).
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(s, -1)
	if len(froms) < 2 || froms[len(froms)-1][1] != "scratch" {
		t.Errorf("final stage %v, want FROM scratch", froms)
	}
	for _, want := range []string{"CGO_ENABLED=0", "ca-certificates.crt", "./cmd/partcopy", `ENTRYPOINT ["/partcopy"]`, "USER 65532"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

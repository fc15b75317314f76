package apply

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshctl/meshctl/pkg/install/manifest"
	"github.com/meshctl/meshctl/pkg/kube"
)

// LabelRecord marks an install record; its value is the install name. A
// record carries meshctl's managed-by label (uninstall --purge removes it)
// but not the install label, so pruning never takes it for a stale object.
const LabelRecord = "meshctl.io/install-record"

// Record is what an install left in the cluster: a ConfigMap in the control
// plane namespace, one per install name (and so per revision).
type Record struct {
	// Name of the install.
	Name     string
	Revision string
	Profile  string
	// MeshctlVersion is the version of meshctl that applied it.
	MeshctlVersion string
	// IstioOperator is the merged IstioOperator, as YAML.
	IstioOperator string
	// Objects are the keys (group/Kind/namespace/name) of the applied
	// objects, in install order. Apply fills them.
	Objects []string
	// Hashes map each applied object's key to the hash of the configuration
	// applied for it. Apply fills them; see Applier.unchangedSinceRecord.
	Hashes map[string]string
}

// RecordName is the ConfigMap name of an install's record.
func RecordName(install string) string { return "meshctl-install-" + install }

// Record data keys.
const (
	keyIOP      = "istiooperator.yaml"
	keyVersion  = "meshctl-version"
	keyRevision = "revision"
	keyProfile  = "profile"
	keyObjects  = "objects"
	keyHashes   = "hashes"
)

func (r *Record) object(ns string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("ConfigMap")
	u.SetNamespace(ns)
	u.SetName(RecordName(r.Name))
	u.SetLabels(map[string]string{
		manifest.LabelManagedBy: manifest.ManagedByValue,
		LabelRecord:             r.Name,
	})
	_ = unstructured.SetNestedStringMap(u.Object, map[string]string{
		keyIOP:      r.IstioOperator,
		keyVersion:  r.MeshctlVersion,
		keyRevision: r.Revision,
		keyProfile:  r.Profile,
		keyObjects:  strings.Join(r.Objects, "\n"),
		keyHashes:   hashLines(r.Objects, r.Hashes),
	}, "data")
	return u
}

func recordFrom(data map[string]string, name string) *Record {
	r := &Record{
		Name:           name,
		Revision:       data[keyRevision],
		Profile:        data[keyProfile],
		MeshctlVersion: data[keyVersion],
		IstioOperator:  data[keyIOP],
	}
	if s := data[keyObjects]; s != "" {
		r.Objects = strings.Split(s, "\n")
	}
	for _, line := range strings.Split(data[keyHashes], "\n") {
		if k, h, ok := strings.Cut(line, " "); ok {
			if r.Hashes == nil {
				r.Hashes = map[string]string{}
			}
			r.Hashes[k] = h
		}
	}
	return r
}

// hashLines writes "key hash" lines in the order of keys.
func hashLines(keys []string, hashes map[string]string) string {
	var b strings.Builder
	for _, k := range keys {
		if h, ok := hashes[k]; ok {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(k + " " + h)
		}
	}
	return b.String()
}

func (a *Applier) writeRecord(ctx context.Context, m *manifest.Manifest, r *Record) error {
	rec := *r
	rec.Name, rec.Revision = m.Name, m.Revision
	if rec.Profile == "" {
		rec.Profile = m.Profile
	}
	rec.Objects = make([]string, len(m.Objects))
	rec.Hashes = map[string]string{}
	for i, o := range m.Objects {
		rec.Objects[i] = o.Key()
		if h, err := configHash(o.Object); err == nil {
			rec.Hashes[o.Key()] = h
		}
	}
	ns := a.Opts.Namespace
	if ns == "" {
		ns = "istio-system"
	}
	if _, err := a.applyOne(ctx, rec.object(ns), nil); err != nil {
		return fmt.Errorf("writing the install record: %w", err)
	}
	return nil
}

// ReadRecord reads the record of an install; nil when there is none.
func ReadRecord(ctx context.Context, c *kube.Client, ns, install string) (*Record, error) {
	cm, err := c.Kubernetes.CoreV1().ConfigMaps(ns).Get(ctx, RecordName(install), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the install record: %w", kube.Explain(err, c.Host()))
	}
	return recordFrom(cm.Data, cm.Labels[LabelRecord]), nil
}

// ReadRecords reads every install record in ns, sorted by install name.
func ReadRecords(ctx context.Context, c *kube.Client, ns string) ([]*Record, error) {
	list, err := c.Kubernetes.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelRecord + "," + manifest.LabelManagedBy + "=" + manifest.ManagedByValue})
	if err != nil {
		return nil, fmt.Errorf("reading install records: %w", kube.Explain(err, c.Host()))
	}
	var out []*Record
	for _, cm := range list.Items {
		out = append(out, recordFrom(cm.Data, cm.Labels[LabelRecord]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func isGone(err error) bool {
	return apierrors.IsNotFound(err) || apierrors.IsConflict(err) && strings.Contains(err.Error(), "Precondition failed")
}

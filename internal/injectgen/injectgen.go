// Package injectgen writes the benchmark input of kube-inject: a stream of n
// Deployments, each with its Service, in the style of the helloworld sample
// (about 1.15 kB per pair: 2.3 MB for n = 2,000).
package injectgen

import (
	"bufio"
	"fmt"
	"io"
)

const pair = `apiVersion: v1
kind: Service
metadata:
  name: app-%[1]d
  namespace: team-%[2]d
  labels:
    app: app-%[1]d
    service: app-%[1]d
spec:
  ports:
  - port: 5000
    name: http
    protocol: TCP
  selector:
    app: app-%[1]d
---
# app-%[1]d, version v1
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-%[1]d-v1
  namespace: team-%[2]d
  annotations:
    deployment.kubernetes.io/revision: "1"
  labels:
    app: app-%[1]d
    version: v1
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-%[1]d
      version: v1
  template:
    metadata:
      labels:
        app: app-%[1]d
        version: v1
    spec:
      containers:
      - name: app
        image: docker.io/istio/examples-helloworld-v1:1.0
        imagePullPolicy: IfNotPresent
        env:
        - name: SERVICE_VERSION
          value: v1
        resources:
          requests:
            cpu: 100m
            memory: 64Mi
          limits:
            memory: 256Mi
        ports:
        - containerPort: 5000
          name: http
          protocol: TCP
        readinessProbe:
          httpGet:
            path: /hello
            port: 5000
          periodSeconds: 5
          timeoutSeconds: 2
`

// Write writes the stream of n pairs to w.
func Write(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	for i := 0; i < n; i++ {
		if i > 0 {
			if _, err := bw.WriteString("---\n"); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(bw, pair, i, i%20); err != nil {
			return err
		}
	}
	return bw.Flush()
}

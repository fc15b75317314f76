{{/* True ("true") when cluster-scoped objects are rendered. */}}
{{- define "base.clusterScope" -}}
{{- if has (.Values.global.resourceScope | default "all") (list "all" "cluster") }}true{{ end -}}
{{- end }}

{{/* True ("true") when namespaced objects are rendered. */}}
{{- define "base.namespaceScope" -}}
{{- if has (.Values.global.resourceScope | default "all") (list "all" "namespace") }}true{{ end -}}
{{- end }}

{{/* Name of the istiod Service of the default revision. */}}
{{- define "base.defaultIstiod" -}}
{{- if eq .Values.defaultRevision "default" }}istiod{{ else }}istiod-{{ .Values.defaultRevision }}{{ end -}}
{{- end }}

{{/* Labels of the default-revision validation objects. */}}
{{- define "base.validatorLabels" -}}
app: istiod
app.kubernetes.io/name: istiod
app.kubernetes.io/part-of: istio
istio: istiod
istio.io/rev: {{ .Values.defaultRevision | quote }}
release: {{ .Release.Name }}
{{- end }}

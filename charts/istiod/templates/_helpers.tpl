{{/* Suffix for revisioned names: "" or "-<revision>". */}}
{{- define "istiod.suffix" -}}
{{- if .Values.revision }}-{{ .Values.revision }}{{ end -}}
{{- end }}

{{/* Name of the istiod Deployment, Service and ServiceAccount. */}}
{{- define "istiod.name" -}}
istiod{{ include "istiod.suffix" . }}
{{- end }}

{{/* Value of the istio.io/rev label. */}}
{{- define "istiod.rev" -}}
{{ .Values.revision | default "default" }}
{{- end }}

{{/* Image tag: the chart's Istio release unless set. */}}
{{- define "istiod.tag" -}}
{{ .Values.pilot.tag | default .Values.global.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Labels every object of this chart carries. */}}
{{- define "istiod.labels" -}}
app: istiod
app.kubernetes.io/name: istiod
app.kubernetes.io/part-of: istio
app.kubernetes.io/version: {{ include "istiod.tag" . | quote }}
istio.io/rev: {{ include "istiod.rev" . | quote }}
install.operator.istio.io/owning-resource: {{ .Values.ownerName | default "unknown" | quote }}
operator.istio.io/component: Pilot
{{- end }}

{{/* Pod selector of the istiod Deployment. The default revision keeps
     istio=pilot so that an install made by istioctl can be taken over
     (Deployment selectors cannot change). */}}
{{- define "istiod.selector" -}}
{{- if .Values.revision -}}
app: istiod
istio.io/rev: {{ .Values.revision | quote }}
{{- else -}}
istio: pilot
{{- end }}
{{- end }}

{{/* Mesh config defaults; .Values.meshConfig is merged over them. */}}
{{- define "istiod.meshDefaults" -}}
trustDomain: cluster.local
rootNamespace: {{ .Values.global.istioNamespace }}
enablePrometheusMerge: true
defaultProviders:
  metrics:
  - prometheus
defaultConfig:
  discoveryAddress: {{ include "istiod.name" . }}.{{ .Release.Namespace }}.svc:15012
  {{- with .Values.global.meshID }}
  meshId: {{ . | quote }}
  {{- end }}
  {{- if eq .Values.global.proxy.tracer "zipkin" }}
  tracing:
    zipkin:
      address: {{ .Values.global.tracer.zipkin.address | default (printf "zipkin.%s:9411" .Values.global.istioNamespace) }}
  {{- end }}
{{- end }}

{{/* indentLines indents the non-empty lines of a text by n spaces and
     leaves empty lines empty, so that the ConfigMap data stays a YAML
     block scalar (trailing blanks would force a quoted string). Arguments:
     (list n text). */}}
{{- define "istiod.indentLines" -}}
{{- $pad := repeat (index . 0) " " -}}
{{- $text := regexReplaceAll "(?m)[ \\t]+$" (index . 1 | trim) "" -}}
{{- regexReplaceAll "(?m)^(.+)$" $text (printf "%s${1}" $pad) -}}
{{- end }}

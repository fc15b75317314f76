{{- define "gateway.tag" -}}
{{ .Values.gateway.tag | default .Values.global.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "gateway.labels" -}}
{{- range $k, $v := .Values.gateway.labels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
app.kubernetes.io/name: {{ .Values.gateway.name }}
app.kubernetes.io/part-of: istio
app.kubernetes.io/version: {{ include "gateway.tag" . | quote }}
istio.io/rev: {{ .Values.revision | default "default" | quote }}
install.operator.istio.io/owning-resource: {{ .Values.ownerName | default "unknown" | quote }}
operator.istio.io/component: {{ .Values.component }}
{{- end }}

{{- define "gateway.selector" -}}
{{- range $k, $v := .Values.gateway.labels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}

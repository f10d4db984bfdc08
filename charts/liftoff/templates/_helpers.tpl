{{- define "liftoff.labels" -}}
app.kubernetes.io/name: liftoff
app.kubernetes.io/component: operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
{{- define "liftoff.selector" -}}
app.kubernetes.io/name: liftoff
app.kubernetes.io/component: operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "liftoff.reportService" -}}
{{ .Release.Name }}-liftoff-report
{{- end -}}
{{- define "liftoff.reportSecret" -}}
{{- if eq .Values.report.certificate "secret" -}}
{{- required "report.existingSecret is required when report.certificate is secret" .Values.report.existingSecret -}}
{{- else -}}
{{ .Release.Name }}-liftoff-report-tls
{{- end -}}
{{- end -}}
{{- /* The operator image: repository@digest when image.digest is set (immutable), else repository:tag. */}}
{{- define "liftoff.image" -}}
{{- if .Values.image.digest -}}
{{ printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else -}}
{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end -}}
{{- end -}}

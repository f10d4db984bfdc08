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

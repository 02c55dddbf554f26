{{/* Names and labels. */}}
{{- define "kontakt.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kontakt.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kontakt.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "kontakt.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component (serve, worker, migrate): pass (list $ "serve"). */}}
{{- define "kontakt.selector" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/name: {{ include "kontakt.name" $ }}
app.kubernetes.io/instance: {{ $.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "kontakt.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The environment every Kontakt container gets: pass (list $ "serve"|"worker"|"migrate"). */}}
{{- define "kontakt.env" -}}
{{- $ := index . 0 -}}
{{- $component := index . 1 -}}
{{- $v := $.Values -}}
- name: KONTAKT_DATABASE_URL_FILE
  value: /run/secrets/kontakt/database-url
- name: KONTAKT_HTTP_ADDR
  value: "0.0.0.0:8080"
- name: KONTAKT_METRICS_ADDR
  value: "0.0.0.0:9090"
- name: KONTAKT_LOG_FORMAT
  value: json
- name: KONTAKT_PUBLIC_URL
  value: {{ required "publicURL is required (how people reach Kontakt, e.g. https://kontakt.example.org)" $v.publicURL | quote }}
- name: KONTAKT_COOKIE_SECURE
  value: {{ hasPrefix "https://" $v.publicURL | quote }}
{{- if eq $component "serve" }}
- name: KONTAKT_DB_MAX_CONNS
  value: {{ $v.serve.dbMaxConns | quote }}
- name: KONTAKT_SHUTDOWN_DELAY
  value: {{ printf "%ds" (int $v.serve.shutdownDelaySeconds) | quote }}
- name: KONTAKT_SHUTDOWN_TIMEOUT
  value: {{ printf "%ds" (int $v.serve.shutdownTimeoutSeconds) | quote }}
{{- else if eq $component "worker" }}
- name: KONTAKT_DB_MAX_CONNS
  value: {{ $v.worker.dbMaxConns | quote }}
{{- end }}
{{- with $v.trustedProxies }}
- name: KONTAKT_TRUSTED_PROXIES
  value: {{ . | quote }}
{{- end }}
{{- if ne $component "migrate" }}
- name: KONTAKT_TEMPORAL_ADDRESS
  value: {{ required "temporal.address is required (the Temporal frontend, host:port)" $v.temporal.address | quote }}
- name: KONTAKT_TEMPORAL_NAMESPACE
  value: {{ $v.temporal.namespace | quote }}
{{- with $v.temporal.uiURL }}
- name: KONTAKT_TEMPORAL_UI_URL
  value: {{ . | quote }}
{{- end }}
{{- if $v.temporal.tls.enabled }}
- name: KONTAKT_TEMPORAL_TLS
  value: "true"
{{- if and $v.temporal.tls.existingSecret $v.temporal.tls.ca }}
- name: KONTAKT_TEMPORAL_TLS_CA_FILE
  value: /run/secrets/temporal/ca.crt
{{- end }}
{{- if and $v.temporal.tls.existingSecret $v.temporal.tls.clientCertificate }}
- name: KONTAKT_TEMPORAL_TLS_CERT_FILE
  value: /run/secrets/temporal/tls.crt
- name: KONTAKT_TEMPORAL_TLS_KEY_FILE
  value: /run/secrets/temporal/tls.key
{{- end }}
{{- end }}
{{- end }}
{{- if eq $component "worker" }}
- name: KONTAKT_SMTP_HOST
  value: {{ required "smtp.host is required (the SMTP relay)" $v.smtp.host | quote }}
- name: KONTAKT_SMTP_PORT
  value: {{ $v.smtp.port | quote }}
- name: KONTAKT_SMTP_TLS
  value: {{ $v.smtp.tls | quote }}
- name: KONTAKT_SMTP_FROM
  value: {{ required "smtp.from is required, e.g. Kontakt <kontakt@example.org>" $v.smtp.from | quote }}
{{- with $v.smtp.user }}
- name: KONTAKT_SMTP_USER
  value: {{ . | quote }}
- name: KONTAKT_SMTP_PASSWORD_FILE
  value: /run/secrets/kontakt/smtp-password
{{- end }}
{{- end }}
{{- range $k, $val := $v.env }}
- name: {{ $k }}
  value: {{ $val | quote }}
{{- end }}
{{- end -}}

{{/* Secret volumes: pass (list $ component). */}}
{{- define "kontakt.volumes" -}}
{{- $ := index . 0 -}}
{{- $component := index . 1 -}}
{{- $v := $.Values -}}
- name: secrets
  projected:
    sources:
      - secret:
          name: {{ required "secrets.existingSecret is required: the Secret holding the database URL" $v.secrets.existingSecret }}
          items:
            - key: {{ $v.secrets.databaseURLKey }}
              path: database-url
{{- if and $v.smtp.user (eq $component "worker") }}
            - key: {{ $v.secrets.smtpPasswordKey }}
              path: smtp-password
{{- end }}
{{- if and (ne $component "migrate") $v.temporal.tls.enabled $v.temporal.tls.existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ $v.temporal.tls.existingSecret }}
{{- end }}
{{- end -}}

{{- define "kontakt.volumeMounts" -}}
{{- $ := index . 0 -}}
{{- $component := index . 1 -}}
{{- $v := $.Values -}}
- name: secrets
  mountPath: /run/secrets/kontakt
  readOnly: true
{{- if and (ne $component "migrate") $v.temporal.tls.enabled $v.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: /run/secrets/temporal
  readOnly: true
{{- end }}
{{- end -}}

{{- define "kontakt.podAnnotations" -}}
{{- $ := index . 0 -}}
{{- $extra := index . 1 -}}
{{- if $.Values.metrics.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: "9090"
prometheus.io/path: /metrics
{{- end }}
{{- with $extra }}
{{ toYaml . }}
{{- end }}
{{- end -}}

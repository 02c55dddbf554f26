// Package mail sends Kontakt's outgoing mail and renders it from templates.
//
// # Sending
//
// A Sender submits each Message over its own SMTP connection to one relay
// (Config), as multipart/alternative with a text and an HTML part, UTF-8
// throughout (RFC 2047 encoded subject, quoted-printable bodies), with Date
// and Message-ID. Send's errors start with "mail: " and never contain the
// recipient's address; IsPermanent separates rejections (5xx) from failures
// worth retrying. Logs name the message ID and the outcome, never the
// recipient or the content.
//
// # Templates
//
// Render fills a named template in one language. Each template is one pair
// of files under templates/:
//
//	NAME.LANG.txt   text/template: {{define "subject"}} and {{define "content"}}
//	NAME.LANG.html  html/template: {{define "content"}}
//
// LANG is "cs" or "en". The pair is wrapped by the shared layout.txt and
// layout.html, which give the content templates the data passed to Render as
// dot, and these helpers:
//
//	{{date .T}}                            a time in the language's format:
//	                                       cs "2. 1. 2027 14:05", en "2 January 2027, 14:05"
//	{{template "button" button URL LABEL}} (HTML) a link styled as a button
//
// Times are shown in their own location: pass them already converted to the
// organisation's time zone. Subjects are folded onto one line; text parts
// lose trailing spaces and repeated blank lines, so templates may be laid
// out freely. A new mail (say "reminder") is the two files
// reminder.cs.txt/.html plus reminder.en.txt/.html and a data type here.
// Mail carries no tracking: no pixels, no rewritten links.
package mail

// What the courier sends, built from an outbox action without any I/O: the
// e-mail (RFC 5322 headers, a MIME multipart/alternative body with the
// server-rendered text and an HTML rendering of it), the webhook's JSON, and
// the payment link found in a rendered text. Pure, so the exact bytes are
// tested without a mail server.
#ifndef COLLECTIONS_CONNECTORS_COURIER_MESSAGE_H_
#define COLLECTIONS_CONNECTORS_COURIER_MESSAGE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collections_sidecar/v1/recovery.pb.h"

namespace collections::courier {

namespace v1 = ::collections_sidecar::v1;

// The action's id and tenant, from "tenants/{tenant}/outboxActions/{id}";
// empty strings when the name has another shape.
struct ActionKey {
  std::string tenant;
  std::string id;
};
ActionKey KeyOf(absl::string_view action_name);

// "<{id}.{tenant}@{domain}>": the same action always gets the same
// Message-ID, so a message sent twice (the courier died between the
// server's "250 OK" and its own record of it) is recognisable as one.
std::string MessageIdFor(absl::string_view action_name, absl::string_view domain);

struct EmailParts {
  std::string from;       // "collections@acme.example"
  std::string from_name;  // display name, may be empty
  std::string reply_to;   // may be empty
  std::string message_id_domain;
};

// The complete message, CRLF line ends: From, To (the action's
// recipient), Reply-To, Subject (RFC 2047 encoded when not ASCII), Date
// (`now`), Message-ID, MIME-Version, X-Collections-Action, and a
// multipart/alternative body of text/plain and text/html, both UTF-8 and
// base64 encoded.
std::string ComposeEmail(const v1::OutboxAction& action, const EmailParts& parts, absl::Time now);

// The plain text as HTML: paragraphs at blank lines, line breaks kept,
// http(s) URLs as links, everything else escaped.
std::string TextToHtml(absl::string_view text);

// The first URL in `text` that starts with the fixed part of the tenant's
// payment link template (the text before its first "{{"); empty when the
// template is empty or no such URL occurs.
std::string FindPaymentLink(absl::string_view text, absl::string_view link_template);

// The webhook body (JSON, one line): action, action_id, tenant, customer,
// channel, stage, recipient, subject, text, payment_link, invoices,
// amounts [{currency_code, minor_units}], create_time; and pdf_base64 when
// `pdf` is not empty (a letter posted to a print-and-post service).
std::string WebhookJson(const v1::OutboxAction& action, absl::string_view payment_link,
                        absl::string_view pdf = "");

}  // namespace collections::courier

#endif  // COLLECTIONS_CONNECTORS_COURIER_MESSAGE_H_

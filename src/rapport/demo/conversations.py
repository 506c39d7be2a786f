"""Word banks for what the demo people say: interaction templates, outcomes, notes."""

from __future__ import annotations

from rapport.interactions.models import Channel

# fmt: off
# Interaction templates per channel: (subject, summary, for whom, direction).
# For whom: "a" anyone, "c" existing customers only, "p" before the first purchase only.
TEMPLATES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    Channel.EMAIL: (
        ("Quote {quote} for {product}",
         "Sent quote {quote} for {n} x {product} including the {module} module.", "a", "outbound"),
        ("Re: Quote {quote} \u2013 questions on pricing",
         "{contact} asked for a breakdown of licence and service costs in quote {quote}.", "a",
         "inbound"),
        ("Introduction: {product} for {industry}",
         "Introduced {product} and shared two reference cases from {industry}.", "p", "outbound"),
        ("Follow-up on our meeting about {topic}",
         "Summarised the agreed points on {topic} and attached the slides.", "a", "outbound"),
        ("RFP {year}: {product} for {unit}",
         "Received the RFP documents for {unit}; submission deadline {due}.", "a", "inbound"),
        ("Renewal of {product} service contract",
         "Reminded {contact} that the service contract for {product} renews in {quarter}.", "c",
         "outbound"),
        ("Invoice dispute {invoice}",
         "{contact} disputes invoice {invoice}: service hours billed twice.", "c", "inbound"),
        ("Delivery date for {po}",
         "{contact} asked for a confirmed delivery date for order {po}.", "c", "inbound"),
        ("Training on {module} \u2013 proposed dates",
         "Proposed three dates for a {module} training for {unit}.", "c", "outbound"),
        ("Price adjustment {next_year}",
         "Informed {contact} about the price adjustment for {next_year} and how to lock current "
         "prices.", "c", "outbound"),
        ("Question about {module} licensing",
         "{contact} wants to know whether {module} is licensed per site or per user.", "a",
         "inbound"),
        ("Site survey at {site}",
         "Asked for access and a contact person for the site survey at {site}.", "a", "outbound"),
        ("Safety data sheets for {product}",
         "{contact} requested the safety and compliance documentation for {product}.", "c",
         "inbound"),
        ("Contract amendment \u2013 {product}",
         "Sent the amendment adding {n} more assets to the {product} contract.", "c", "outbound"),
        ("Reference visit request",
         "{contact} would like to visit a reference customer running {product}.", "p", "inbound"),
        ("Pilot results at {site}",
         "Shared the results of the {product} pilot at {site}: fewer unplanned stops.", "a",
         "outbound"),
        ("Case study: {topic} in {industry}",
         "Sent the {industry} case study on {topic} as discussed.", "p", "outbound"),
        ("Spare parts availability \u2013 {product}",
         "{contact} asked about lead times for {product} spare parts.", "c", "inbound"),
    ),
    Channel.CALL: (
        ("Discovery call with {contact}",
         "Walked through their current maintenance process and pain points around {topic}.", "p",
         "outbound"),
        ("Follow-up call on quote {quote}",
         "Discussed quote {quote}; {contact} needs approval from finance.", "a", "outbound"),
        ("Budget check-in for {quarter}",
         "Checked whether budget for {product} is planned for {quarter}.", "a", "outbound"),
        ("Escalation: delayed delivery {po}",
         "{contact} called about the delayed delivery of {po}; promised an update within 24 "
         "hours.", "c", "inbound"),
        ("Check-in on {module} rollout",
         "Rollout of {module} at {site} is on track; two users still need access.", "c",
         "outbound"),
        ("Cold call: {product}",
         "Introduced {product} to {contact}; some interest in {topic}.", "p", "outbound"),
        ("Renewal call \u2013 {product}",
         "Discussed renewal terms for {product}; {contact} wants a multi-year option.", "c",
         "two_way"),
        ("Call about invoice {invoice}",
         "Clarified the line items on invoice {invoice} with {contact}.", "c", "inbound"),
        ("Technical questions on {module}",
         "{contact} had questions on integrating {module} with their ERP.", "a", "inbound"),
    ),
    Channel.MEETING: (
        ("Quarterly business review {quarter}",
         "Reviewed usage, open tickets and the roadmap; agreed priorities for {quarter}.", "c",
         "two_way"),
        ("On-site visit at {site}",
         "Visited {site}; walked the line with {contact} and identified {n} assets to monitor.",
         "a", "two_way"),
        ("Kick-off: {product} rollout at {site}",
         "Kick-off with the project team; agreed milestones and responsibilities.", "c",
         "two_way"),
        ("Workshop: {topic}",
         "Half-day workshop on {topic} with {n} participants from {unit}.", "a", "two_way"),
        ("Negotiation \u2013 framework agreement {year}",
         "Negotiated volume discounts and payment terms for the {year} framework agreement.",
         "a", "two_way"),
        ("Executive sponsor meeting",
         "Met {contact} to review the partnership and the plan for next year.", "c", "two_way"),
        ("Technical deep dive: {module}",
         "Deep dive on the {module} architecture with IT; security questionnaire to follow.",
         "a", "two_way"),
        ("Demo of {product} for {unit}",
         "Live demo of {product}; strong interest in {module}.", "p", "two_way"),
    ),
    Channel.SUPPORT: (
        ("Ticket {ticket}: {product} {fault}",
         "Reported that {product} {fault} at {site}. Logs requested.", "c", "inbound"),
        ("Ticket {ticket}: login problems with {module}",
         "Users at {unit} cannot log in to {module} after a password reset.", "c", "inbound"),
        ("Ticket {ticket}: data export fails",
         "CSV export from {product} times out for large date ranges.", "c", "inbound"),
        ("Ticket {ticket}: sensors offline at {site}",
         "{n} sensors at {site} stopped reporting since the weekend.", "c", "inbound"),
        ("Ticket {ticket}: firmware update request",
         "Asked for the latest firmware for {product} and an update window.", "c", "inbound"),
        ("Ticket {ticket}: how to configure {module}",
         "Explained how to set up {module}; sent the knowledge base article.", "c", "inbound"),
        ("Ticket {ticket} resolved",
         "Closed ticket {ticket} after confirming the fix with {contact}.", "c", "outbound"),
    ),
    Channel.WEB: (
        ("Downloaded whitepaper: {whitepaper}",
         "Downloaded the whitepaper \u201c{whitepaper}\u201d.", "a", "inbound"),
        ("Visited pricing page",
         "Visited the pricing pages {n} times this week.", "a", "inbound"),
        ("Web form: request for quote \u2013 {product}",
         "Requested a quote for {product} via the website.", "a", "inbound"),
        ("Webinar registration: {webinar}",
         "Registered for the webinar \u201c{webinar}\u201d.", "a", "inbound"),
        ("Requested demo of {product}",
         "Booked a demo of {product} through the website.", "p", "inbound"),
    ),
    Channel.PORTAL: (
        ("Portal order {po}",
         "Placed order {po} for spare parts for {site} in the customer portal.", "c", "inbound"),
        ("Portal: reorder of sensors for {site}",
         "Reordered {n} sensors using the standard configuration for {site}.", "c", "inbound"),
        ("Portal: requisition {req} approved",
         "Requisition {req} approved by {contact} in the portal.", "c", "inbound"),
        ("Portal: delivery address updated for {site}",
         "Updated the delivery address for {site}.", "c", "inbound"),
        ("Portal: invoice {invoice} downloaded",
         "Downloaded invoice {invoice} from the portal.", "c", "inbound"),
    ),
    Channel.EDI: (
        ("EDI ORDERS {po}", "Purchase order {po} received via EDI ({n} lines).", "c", "inbound"),
        ("EDI ORDRSP {po}", "Order confirmation for {po} sent via EDI.", "c", "outbound"),
        ("EDI DESADV {po}", "Despatch advice for {po} sent via EDI.", "c", "outbound"),
        ("EDI INVOIC {invoice}", "Invoice {invoice} transmitted via EDI.", "c", "outbound"),
    ),
    Channel.EVENT: (
        ("Met at {event}",
         "Met {contact} at our booth at {event}; interested in {topic}.", "a", "two_way"),
        ("Attended {event}",
         "{contact} attended {event} and joined the session on {topic}.", "a", "inbound"),
        ("Customer Day {year}",
         "Attended Customer Day {year}; joined the {module} roadmap session.", "c", "inbound"),
        ("Dinner at {event}", "Customer dinner at {event} with {contact}.", "a", "two_way"),
    ),
    Channel.TRAINING: (
        ("Training: {module} basics for {unit}",
         "Trained {n} users from {unit} on {module}.", "c", "outbound"),
        ("Administrator certification: {product}",
         "{contact} completed the {product} administrator certification.", "c", "two_way"),
        ("On-site training at {site}",
         "Full-day on-site training at {site} for maintenance staff.", "c", "outbound"),
        ("Webinar training: what's new in {product} {version}",
         "Joined the webinar training on {product} {version}.", "c", "outbound"),
    ),
    Channel.SURVEY: (
        ("NPS survey {quarter}", "Answered the NPS survey with a score of {nps}.", "c", "inbound"),
        ("CSAT after ticket {ticket}",
         "Rated the support on ticket {ticket} with {csat}/5.", "c", "inbound"),
        ("Onboarding survey",
         "Completed the onboarding survey after the {product} rollout.", "c", "inbound"),
        ("Annual customer survey {year}",
         "Returned the annual customer survey; comments on {topic}.", "c", "inbound"),
    ),
    Channel.PARTNER: (
        ("Joint visit with {partner} at {site}",
         "Visited {site} together with {partner}; discussed {topic}.", "a", "two_way"),
        ("Deal registration by {partner}: {product}",
         "{partner} registered an opportunity for {product} at {unit}.", "a", "inbound"),
        ("{partner}: installation completed at {site}",
         "{partner} reported the installation of {product} at {site} as complete.", "c",
         "inbound"),
        ("{partner} reported an issue at {site}",
         "{partner} escalated a {product} issue at {site} on behalf of the customer.", "c",
         "inbound"),
        ("Account planning with {partner}",
         "Joint account planning with {partner} for the next two quarters.", "a", "two_way"),
    ),
}

CHANNEL_WEIGHTS: dict[str, tuple[int, int]] = {  # (before the first purchase, customers)
    Channel.EMAIL: (36, 32), Channel.CALL: (21, 16), Channel.MEETING: (12, 10),
    Channel.SUPPORT: (0, 13), Channel.WEB: (19, 6), Channel.PORTAL: (0, 7), Channel.EDI: (0, 6),
    Channel.EVENT: (10, 3), Channel.TRAINING: (0, 4), Channel.SURVEY: (0, 3),
}
CONVERSATIONAL: frozenset[str] = frozenset({Channel.EMAIL, Channel.CALL, Channel.MEETING, Channel.SUPPORT,
                            Channel.EVENT, Channel.TRAINING, Channel.PARTNER})
AUTOMATIC: frozenset[str] = frozenset({Channel.EMAIL, Channel.WEB, Channel.PORTAL, Channel.EDI, Channel.SURVEY})

OUTCOMES = ("positive", "neutral", "negative", "no_response", "")
OUTCOME_WEIGHTS: dict[str, tuple[tuple[int, ...], ...]] = {  # per channel (outbound, other)
    Channel.EMAIL: ((28, 30, 6, 16, 20), (25, 40, 10, 0, 25)),
    Channel.CALL: ((30, 35, 8, 15, 12), (30, 40, 12, 0, 18)),
    Channel.MEETING: ((45, 35, 10, 0, 10),) * 2,
    Channel.SUPPORT: ((35, 30, 15, 0, 20),) * 2,
    Channel.WEB: ((5, 20, 0, 0, 75),) * 2,
    Channel.PORTAL: ((5, 20, 0, 0, 75),) * 2,
    Channel.EDI: ((0, 15, 2, 0, 83),) * 2,
    Channel.EVENT: ((35, 35, 5, 0, 25),) * 2,
    Channel.TRAINING: ((55, 30, 5, 0, 10),) * 2,
    Channel.SURVEY: ((50, 30, 20, 0, 0),) * 2,
    Channel.PARTNER: ((35, 35, 10, 0, 20),) * 2,
}
# What came of it, and what to do next, by kind of conversation.
SALES_OUTCOMES = {
    "positive": ("{contact} was positive and wants to move ahead.",
                 "Good feedback; {contact} will push it internally.",
                 "Agreed next steps; momentum is good.", "Customer confirmed; no open issues."),
    "neutral": ("No decision yet; they need to align internally.",
                "Informational; nothing to decide yet.",
                "{contact} will come back after the internal review."),
    "negative": ("{contact} is unhappy with our response time.",
                 "Pushback on price; {competitor} offered a lower quote.",
                 "Concerns about the integration effort; risk flagged.",
                 "Budget was cut for {quarter}."),
    "no_response": ("No reply yet.", "Left a voicemail; no call back.",
                    "No response after two reminders."),
}
SUPPORT_OUTCOMES = {
    "positive": ("Fix confirmed by {contact}.", "Solved on the first call."),
    "neutral": ("Waiting for logs from the customer.",
                "Workaround in place; fix planned for the next release."),
    "negative": ("{contact} escalated; third ticket on this issue.",
                 "Workaround not accepted; {contact} is frustrated."),
    "no_response": ("No reply to our questions yet.",),
}
TRAINING_OUTCOMES = {
    "positive": ("Very good feedback from the participants.", "All participants passed the test."),
    "neutral": ("Mixed feedback; the pace was too fast for some.",),
    "negative": ("Participants found the material too basic.",),
    "no_response": ("No feedback received.",),
}
SALES_STEPS = ("Send revised quote by {due}", "Schedule site survey at {site}",
               "Book follow-up call with {contact} for {due}",
               "Share reference case from {industry}", "Send security questionnaire answers",
               "Arrange demo for {unit}", "Involve our solution engineer",
               "Draft renewal offer for {quarter}", "Update the account plan",
               "Ask {contact} for the decision timeline", "Confirm delivery date with logistics",
               "Check credit note for {invoice} with finance")
SUPPORT_STEPS = ("Send firmware link to {contact}", "Escalate to second-level support",
                 "Schedule remote session for {due}", "Check the fix with {contact} on {due}",
                 "Add to the known-issues list", "Offer a {module} refresher training")
TRAINING_STEPS = ("Send certificates to participants", "Plan advanced course on {module}",
                  "Share the recording with {unit}", "Offer a follow-up session on {due}")
WEB_STEPS = ("Qualify the lead by phone", "Send pricing information",
             "Invite to the next webinar", "Hand over to {rep}")
OUTCOME_SENTENCES = {"support": SUPPORT_OUTCOMES, "training": TRAINING_OUTCOMES}
NEXT_STEPS = {"support": SUPPORT_STEPS, "training": TRAINING_STEPS, "web": WEB_STEPS}

CONTACT_NOTES = ("Prefers e-mail over calls.", "Speaks German and English.",
                 "Only available Tuesday to Thursday.", "Former colleague of our CTO.",
                 "Sits on the supplier steering committee.", "Wants quarterly usage reports.")
CHAMPION_NOTES = ("Sponsored the pilot.", "Uses our reports in management meetings.",
                  "Introduced us to the plant managers.", "")
BLOCKER_NOTES = ("Prefers the incumbent supplier.", "Worried about the integration effort.",
                 "Ties any budget to proven savings.", "")

# Plain strings in the hot loop: enum members hash and compare slowly, and an enum
# member does not find its plain-string twin in a dict.
TEMPLATES = {str(k): v for k, v in TEMPLATES.items()}
CHANNEL_WEIGHTS = {str(k): v for k, v in CHANNEL_WEIGHTS.items()}
OUTCOME_WEIGHTS = {str(k): v for k, v in OUTCOME_WEIGHTS.items()}
CONVERSATIONAL = frozenset(str(c) for c in CONVERSATIONAL)
AUTOMATIC = frozenset(str(c) for c in AUTOMATIC)

LIFECYCLE_REASONS = {
    ("", "prospect"): ("Found at a trade fair", "Inbound enquiry via the website",
                       "Target account list", "Referred by a partner"),
    ("", "customer"): ("Imported from the legacy CRM",),
    ("prospect", "lead"): ("Qualified after discovery call", "Downloaded two whitepapers",
                           "Requested a quote"),
    ("lead", "opportunity"): ("RFP received", "Budget confirmed for the project",
                              "Pilot agreed"),
    ("opportunity", "customer"): ("First order placed", "Framework contract signed"),
    ("opportunity", "lost"): ("Lost to a competitor on price", "Project cancelled"),
    ("customer", "at_risk"): ("Usage declining; renewal at risk", "Escalation about service quality",
                              "Champion left the company"),
    ("at_risk", "customer"): ("Renewal signed", "Escalation resolved"),
    ("customer", "dormant"): ("No orders in twelve months",),
    ("at_risk", "dormant"): ("No orders in twelve months",),
    ("at_risk", "lost"): ("Contract not renewed", "Switched to a competitor"),
}


# fmt: on

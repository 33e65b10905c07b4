//! The text of each message: the customer's, in their tone; the agent's,
//! in their style, with the resolution and the second fix that follows it.

use super::{Writer, nth, own_or, pick, pick_body};
use crate::content::agent::Verbosity;
use crate::content::dice::Dice;
use crate::content::facts;
use crate::content::html::paragraphs;
use crate::content::playbook::Role;

impl Writer<'_> {
    /// The HTML of a message in `role`.
    pub(super) fn text(&mut self, rng: &mut Dice, role: Role) -> String {
        match role {
            Role::Answer | Role::Reopen => self.customer_text(rng, role),
            Role::EscalationNote | Role::WorkNote | Role::TimeNote => self.note_text(rng, role),
            _ => self.agent_text(rng, role),
        }
    }

    /// The customer's answer to the question, or their "it's back" message.
    fn customer_text(&mut self, rng: &mut Dice, role: Role) -> String {
        let (p, s, tone) = (&self.lib.phrases, self.scenario, self.tone);
        let (openers, bodies, extras) = match role {
            Role::Answer => {
                let answers = self.exchange.map(|e| e.customer.as_slice());
                (
                    &tone.reply_openers,
                    answers.unwrap_or_default(),
                    &tone.extras.answer,
                )
            }
            _ => (
                &tone.reopen_openers,
                own_or(&s.reopens, &p.reopens),
                &tone.extras.reopen,
            ),
        };
        let opener = pick(rng, openers);
        let body = pick_body(rng, bodies);
        // Anyone may answer in one line now and then: no greeting, no extras,
        // just their name.
        let one_line = role == Role::Answer && rng.chance(40);
        let written = match one_line {
            true => self.tone.one_line(body),
            false => self.tone.shape(body),
        };
        if role == Role::Answer {
            self.facts.answered = facts::stated(&written);
        }
        match one_line {
            true => self.customer_message(rng, "", &written, &[], "{customer_first}"),
            false => self.customer_reply(rng, opener, body, extras),
        }
    }

    /// A public message by the agent writing now: greeting, maybe a second line
    /// (acknowledgement or handover), the body, a closing line, the signature.
    fn agent_text(&mut self, rng: &mut Dice, role: Role) -> String {
        let (p, s) = (&self.lib.phrases, self.scenario);
        let resolving = matches!(
            role,
            Role::Resolution | Role::HandoverResolution | Role::Followup
        );
        let greetings = match resolving {
            true => &p.resolution_greetings,
            false => &p.agent_greetings,
        };
        let greeting = nth(greetings, self.style.greeting);
        let brief = self.style.verbosity == Verbosity::Brief;
        let second = match role {
            Role::Question if brief => "",
            Role::Question => pick(rng, &self.tone.acknowledgements),
            Role::HandoverResolution => pick(rng, &p.handover_lines),
            _ => "",
        };
        let body = match role {
            Role::Question => self.exchange.map(|e| e.agent.clone()).unwrap_or_default(),
            Role::Followup => {
                let own = self.trace.first_fix.map(|r| r.followups.as_slice());
                let after_any = own_or(&s.followups, &p.followups);
                let chosen = rng.pick(own_or(own.unwrap_or_default(), after_any));
                self.trace.followup = chosen;
                chosen.cloned().unwrap_or_default()
            }
            Role::Reminder => pick_body(rng, &p.reminders).to_vec(),
            Role::NoReplyClose => pick_body(rng, &p.no_reply_closings).to_vec(),
            _ => self.resolution_body(rng),
        };
        let closer = match role {
            _ if brief => "",
            Role::Question => pick(rng, &p.agent_reply_closers),
            Role::Reminder | Role::NoReplyClose => "",
            _ => pick(rng, &p.resolution_closers),
        };
        self.agent_message(&[greeting, second], &self.style.lay_out(&body), closer)
    }

    /// A resolution of the outcome citing a fact the customer gave; when none
    /// of them does, one opened by a line citing such a fact.
    fn resolution_body(&mut self, rng: &mut Dice) -> Vec<String> {
        let known = self.facts.known();
        let key = &self.scenario.key;
        let Some((chosen, cited)) = facts::choose_resolution(rng, self.resolutions, &known, key)
        else {
            return vec![];
        };
        self.trace.first_fix.get_or_insert(chosen);
        let mut body = chosen.text.clone();
        if cited.is_empty() {
            let citations = &self.lib.phrases.citations;
            let matters = (key.as_str(), self.category.citable.as_slice());
            if let Some((line, fact)) = facts::citation(rng, citations, &known, matters) {
                body.insert(0, line);
                self.facts.cited.insert(fact);
            }
        }
        self.facts.cited.extend(cited);
        body
    }

    /// A private note's paragraphs, or a time entry's one line.
    fn note_text(&self, rng: &mut Dice, role: Role) -> String {
        let p = &self.lib.phrases;
        let body: &[String] = match role {
            Role::EscalationNote => pick_body(rng, &p.escalation_notes),
            Role::WorkNote => pick_body(rng, &p.work_notes),
            _ => rng
                .pick(&p.time_notes)
                .map(std::slice::from_ref)
                .unwrap_or_default(),
        };
        paragraphs(body.iter().map(|part| self.vars.fill(part)))
    }

    /// Opening lines, body, a closing line and the signature, as HTML.
    fn agent_message(&self, opening: &[&str], body: &[String], closer: &str) -> String {
        let parts = opening
            .iter()
            .copied()
            .chain(body.iter().map(String::as_str));
        let signoff = nth(&self.lib.phrases.agent_signoffs, self.style.signoff);
        let parts = parts.chain([closer, signoff]);
        paragraphs(parts.map(|part| self.vars.fill(part)))
    }

    fn customer_reply(
        &self,
        rng: &mut Dice,
        opener: &str,
        body: &[String],
        extras: &[String],
    ) -> String {
        let closing = pick(rng, &self.tone.reply_closings);
        self.customer_message(rng, opener, body, extras, closing)
    }

    /// The customer's words in their tone: opener, shaped body, the tone's extra
    /// paragraphs, sign-off.
    pub(super) fn customer_message(
        &self,
        rng: &mut Dice,
        opener: &str,
        body: &[String],
        extras: &[String],
        closing: &str,
    ) -> String {
        let shaped = self.tone.shape(body);
        let added = self.tone.extras(rng, extras);
        let parts = std::iter::once(opener)
            .chain(shaped.iter().map(String::as_str))
            .chain(added)
            .chain([closing]);
        paragraphs(parts.map(|part| self.vars.fill(part)))
    }
}

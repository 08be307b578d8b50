"""The org objects an Archy flow names, derived from real public flows (tests/data/archy-corpus, with
the corpus's own substitutions): queues, schedules, emergency groups, wrap-up codes, data actions by
category, system prompts, skills; a name an expression computes is "not checked", never guessed, and
a value in a shape the derivation does not read is reported ("unread"), never dropped."""

from __future__ import annotations

import pytest

from provider.domain.loading import PreparedSet
from provider.platforms.genesys_cloud.loading import prepare_archy
from provider.platforms.genesys_cloud.org_objects import derive_text
from tests.domain.test_archy_corpus import CORPUS, STACK


@pytest.fixture(scope="module")
def corpus() -> PreparedSet:
    return prepare_archy(CORPUS, STACK)


def _names(corpus: PreparedSet, key: str) -> set[tuple[str, str]]:
    return {(r.type, r.label) for r in derive_text(corpus.definitions[key].archy).refs}  # type: ignore[attr-defined]


def test_the_dr_emergency_ivr_names_six_queues_and_an_emergency_group_its_schedule_group_is_computed(
    corpus: PreparedSet,
) -> None:
    derived = derive_text(corpus.definitions["dr-dr-emergency-ivr"].archy)  # type: ignore[attr-defined]
    assert {(r.type, r.label) for r in derived.refs} == {
        ("emergencyGroup", "Organization Evacuation Emergency Group"),
        *(
            ("queue", q)
            for q in (
                "Annuity",
                "Brokerage",
                "General Help",
                "Health Insurance",
                "Life Insurance",
                "Mutual Funds",
            )
        ),
    }
    # evaluateScheduleGroup.scheduleGroup is `exp: ToScheduleGroup(NOT_SET)`: not checked.
    assert derived.unchecked == [
        ("inboundCall.tasks[0].task.actions[0].evaluateScheduleGroup.scheduleGroup", "scheduleGroup")
    ]
    emergency = next(r for r in derived.refs if r.type == "emergencyGroup")
    assert emergency.path.endswith("evaluateScheduleGroup.emergencyGroup.lit.name")


def test_callback_flows_name_a_wrapup_code_data_actions_by_category_a_queue_and_system_prompts(
    corpus: PreparedSet,
) -> None:
    assert _names(corpus, "acb-proactive-callback-connect") == {
        ("wrapupCode", "No Answer"),
        ("systemPrompt", "processing"),
        ("dataAction", "<integrationName>/Disconnect callback"),
        ("queue", "<targetQueueName>"),
    }
    # Substituted names: the definition's per-flow substitutions and the stack's category.
    assert ("queue", "corpus sms queue") in _names(corpus, "aocb-sms-schedule-callback")
    assert _names(corpus, "negs-send-sms-and-create-supervisor-callback") >= {
        ("dataAction", "Corpus Data Actions/corpus get sentiment name"),
        ("dataAction", "Corpus Data Actions/corpus send agentless sms name"),
    }
    assert ("systemPrompt", "voicemail_greeting") in _names(corpus, "dr-dr-fallback-ivr")


def test_a_queue_held_in_a_variable_is_not_checked(corpus: PreparedSet) -> None:
    derived = derive_text(corpus.definitions["emcomp-emailcomprehendflow"].archy)  # type: ignore[attr-defined]
    assert derived.unchecked == [
        ("inboundEmail.states[0].state.actions[3].transferToAcd.targetQueue", "queue")
    ]
    assert {r.type for r in derived.refs} == {"dataAction"}


def test_across_the_corpus_every_named_object_is_a_literal_after_substitution(corpus: PreparedSet) -> None:
    refs = [r for d in corpus.definitions.values() for r in derive_text(d.archy).refs]  # type: ignore[attr-defined]
    assert {r.type for r in refs} >= {
        "queue",
        "dataAction",
        "systemPrompt",
        "wrapupCode",
        "emergencyGroup",
        "schedule",
    }
    assert len({(r.type, r.label) for r in refs}) >= 40
    assert not [r for r in refs if "{{" in r.label or not r.label.strip()]


def test_skills_languages_user_prompts_schedules_and_literal_finders() -> None:
    text = """
inboundCall:
  name: Covered
  tasks:
    - task:
        name: Main
        actions:
          - playAudio:
              audio:
                exp: AudioPlaybackOptions(ToAudio(Prompt.Welcome_Message), true)
          - evaluateSchedule:
              evaluationType:
                schedule:
                  selectedSchedule:
                    lit:
                      name: Christmas Day
                  evaluationTimeZone: America/Chicago
          - updateData:
              statements:
                - queue:
                    variable: Task.q
                    value:
                      exp: FindQueue("Escalations \\"East\\"")
          - transferToAcd:
              targetQueue:
                exp: Task.q
              acdSkills:
                - acdSkill:
                    lit:
                      name: Spanish Billing
                - acdSkill:
                    lit:
                      name: VIP
                - acdSkill:
                    noValue: true
              languageSkill:
                lit:
                  name: Spanish
          - transferToAcd:
              targetQueue:
                exp: FindQueue(Flow.QueueName)
"""
    derived = derive_text(text)
    assert {(r.type, r.label) for r in derived.refs} == {
        ("userPrompt", "Welcome_Message"),
        ("schedule", "Christmas Day"),
        ("queue", 'Escalations "East"'),
        ("skill", "Spanish Billing"),
        ("skill", "VIP"),
        ("language", "Spanish"),
    }
    paths = {r.label: r.path for r in derived.refs}
    assert paths["Christmas Day"].endswith(
        "evaluateSchedule.evaluationType.schedule.selectedSchedule.lit.name"
    )
    assert paths["VIP"].endswith("transferToAcd.acdSkills[1].acdSkill.lit.name")
    assert [t for _, t in derived.unchecked] == ["queue", "queue"]  # a variable, a computed name
    assert derived.unread == []


def test_the_corpus_schedule_is_found_after_substitution_and_a_computed_skill_is_not_checked(
    corpus: PreparedSet,
) -> None:
    derived = derive_text(corpus.definitions["hours-webmessage-flow"].archy)  # type: ignore[attr-defined]
    schedules = [r for r in derived.refs if r.type == "schedule"]
    assert [(r.name, r.path) for r in schedules] == [
        (
            "corpus schedule name",  # hours-webmessage-flow.yaml's `schedule_name` substitution
            "inboundShortMessage.states[0].state.actions[0].evaluateSchedule.evaluationType.schedule"
            ".selectedSchedule.lit.name",
        )
    ]
    # `acdSkills: [{acdSkill: {exp: FindSkill(Flow.skills)}}]` (switch-voice-to-web-messaging).
    skills = derive_text(corpus.definitions["sv2wm-switch-from-voice-channel-with-context"].archy)  # type: ignore[attr-defined]
    assert (
        "inboundShortMessage.states[0].state.actions[5].transferToAcd.acdSkills[0].acdSkill",
        "skill",
    ) in (skills.unchecked)


def test_schedule_lists_read_like_any_covered_key_and_an_unknown_shape_is_reported_not_dropped() -> None:
    text = """
inboundCall:
  name: Shapes
  tasks:
    - task:
        name: Main
        actions:
          - evaluateScheduleGroup:
              inServiceSchedules:
                lit:
                  - name: Weekdays
                  - name: Saturdays
              holidaySchedules:
                exp: MakeList(FindSchedule("Christmas"))
              outOfServiceSchedules:
                exp: Flow.closedSchedules
              scheduleGroup:
                byName: Main Office
              emergencyGroup:
                lit:
                  id: 0b3b1bc4-5c8a-4e5e-9c3e-0c0f5d1b2a7e
          - transferToAcd:
              targetQueue: Sales
              acdSkills:
                - acdSkill:
                    future: {name: Billing}
"""
    derived = derive_text(text)
    assert {(r.type, r.label) for r in derived.refs} == {
        ("schedule", "Weekdays"),
        ("schedule", "Saturdays"),
        ("schedule", "Christmas"),
    }
    assert derived.unchecked == [
        ("inboundCall.tasks[0].task.actions[0].evaluateScheduleGroup.outOfServiceSchedules", "schedule")
    ]
    assert derived.unread == [
        ("inboundCall.tasks[0].task.actions[0].evaluateScheduleGroup.scheduleGroup", "scheduleGroup"),
        (
            "inboundCall.tasks[0].task.actions[0].evaluateScheduleGroup.emergencyGroup.lit.name",
            "emergencyGroup",
        ),
        ("inboundCall.tasks[0].task.actions[1].transferToAcd.targetQueue", "queue"),
        ("inboundCall.tasks[0].task.actions[1].transferToAcd.acdSkills[0].acdSkill", "skill"),
    ]


def test_unparseable_content_names_nothing() -> None:
    assert derive_text("inboundCall: {name: [").refs == []

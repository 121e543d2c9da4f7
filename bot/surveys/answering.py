"""An organisation answering a survey, one question at a time, inside the caller's transaction.

The answers in progress are stored per organisation (survey_drafts), never per person, so any
contact of the organisation may continue where another stopped, also after a restart. Each step
checks the deadline against the moment the person acted, and that the question acted on is the
one on screen (a stale button changes nothing; the current question is shown again).

Steps return screens (what to show next) rather than messages; survey_messages renders them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.models import Organisation
from bot.domain.survey_definition import (
    Answer,
    AnswerProblem,
    Question,
    QuestionKind,
    SurveyDefinition,
    answer_for_other,
    answer_rows,
    answers_from_rows,
    effective_answers,
    missing_required,
    needs_other_text,
    next_question,
    read_typed_answer,
    visible_questions,
)
from bot.i18n import N_
from storage.records import Survey, SurveyAnswer, SurveyResponse, SurveyStatus
from storage.repositories import Repositories
from storage.repositories.surveys.progress import SurveyDraft

SKIP_WORDS = frozenset({"-", "–", "—"})  # typed instead of an answer: pass an optional question


# ---- screens ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionScreen:
    question: Question
    index: int  # position in the questionnaire (payloads carry it)
    number: int  # position among the questions shown for these answers, from 1
    total: int
    answer: Answer | None  # the answer so far (multiple choice in progress, or being changed)
    first: bool = False  # the first question of a new draft: the introduction goes before it


@dataclass(frozen=True, slots=True)
class OtherTextScreen:
    """Asks for the text of the "other, please specify" option just chosen."""

    question: Question
    index: int
    answer: Answer


@dataclass(frozen=True, slots=True)
class SummaryItem:
    question: Question
    index: int
    number: int
    answer: Answer | None


@dataclass(frozen=True, slots=True)
class SummaryScreen:
    items: tuple[SummaryItem, ...]


@dataclass(frozen=True, slots=True)
class SubmittedScreen:
    response: SurveyResponse
    replaced_earlier: bool  # the organisation had answered before; this answer now stands
    newer_stands: bool = False  # a later answer of another contact stands instead


@dataclass(frozen=True, slots=True)
class StatusScreen:
    """The organisation's submitted answer, with the offer to change it until the deadline."""

    response: SurveyResponse
    items: tuple[SummaryItem, ...]


Screen = QuestionScreen | OtherTextScreen | SummaryScreen | SubmittedScreen | StatusScreen


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell before the screen: an English message id with parameters."""

    message: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    screen: Screen | None = None
    notice: Notice | None = None
    closed: bool = False  # the deadline has passed: nothing was recorded
    answered: tuple[Question, Answer] | None = None  # the pressed question's message shows this
    replace_pressed: bool = False  # the screen replaces the pressed message (toggles)
    stale: bool = False  # the button was not for the question on screen
    submitted: bool = False


@dataclass(frozen=True, slots=True)
class Respondent:
    """Who acts, for which organisation, on which survey, and when (for the deadline)."""

    survey: Survey
    definition: SurveyDefinition
    organisation: Organisation
    person_id: int
    acted_at: datetime  # the platform's time of the action where it gives one
    now: datetime  # the bot's clock, for bookkeeping

    @property
    def survey_id(self) -> int:
        assert self.survey.id is not None
        return self.survey.id

    @property
    def organisation_id(self) -> int:
        assert self.organisation.id is not None
        return self.organisation.id


# ---- the flow -----------------------------------------------------------------------------------


class SurveyAnswering:
    """One respondent's step, on the repositories of the caller's transaction."""

    def __init__(self, repos: Repositories, who: Respondent) -> None:
        self._repos = repos
        self._who = who
        self._definition = who.definition

    # -- entry points --

    async def open(self) -> Step:
        """Start, resume, or show the submitted answer (/ankete, the invitation's button)."""
        if (refused := self._closed()) is not None:
            return refused
        draft = await self._draft()
        if draft is None:
            response = await self._response()
            if response is not None:
                return Step(StatusScreen(response, self._items(self._response_answers(response))))
            answers: dict[str, Answer] = {}
            first = next_question(self._definition, answers)
            assert first is not None  # a questionnaire has at least one question
            await self._save(first.key, False, answers)
            return Step(self._question_screen(first, answers, first=True))
        await self._save(draft.current_question, draft.awaiting_other, None)
        return Step(self._current_screen(draft))

    async def edit_submitted(self) -> Step:
        """Reopen the submitted answer as a draft at its summary, to change it before the deadline."""
        if (refused := self._closed()) is not None:
            return refused
        draft = await self._draft()
        if draft is not None:
            await self._save(draft.current_question, draft.awaiting_other, None)
            return Step(self._current_screen(draft))
        response = await self._response()
        if response is None:
            return await self.open()
        answers = self._response_answers(response)
        await self._save(None, False, answers)
        return Step(SummaryScreen(self._items(answers)))

    async def choose(self, question_index: int, option_index: int) -> Step:
        """A single-choice or yes/no question answered with a button."""
        if (refused := self._closed()) is not None:
            return refused
        draft, question = await self._on_screen(
            question_index, (QuestionKind.SINGLE_CHOICE, QuestionKind.YES_NO)
        )
        if question is None or draft is None:
            return await self._stale(draft)
        if not 0 <= option_index < len(question.options):
            return await self._stale(draft)
        option = question.options[option_index]
        answers = self._answers(draft)
        # Choosing "other" again asks for its text again: the person may want to change it.
        answers[question.key] = Answer((option.key,))
        return await self._advance(question, answers)

    async def toggle(self, question_index: int, option_index: int) -> Step:
        """A multiple-choice option switched on or off; the question stays on screen."""
        if (refused := self._closed()) is not None:
            return refused
        draft, question = await self._on_screen(question_index, (QuestionKind.MULTIPLE_CHOICE,))
        if question is None or draft is None:
            return await self._stale(draft)
        if not 0 <= option_index < len(question.options):
            return await self._stale(draft)
        answers = self._answers(draft)
        current = answers.get(question.key, Answer())
        key = question.options[option_index].key
        if key in current.values:
            values = tuple(v for v in current.values if v != key)
        else:
            if question.max_choices is not None and len(current.values) >= question.max_choices:
                return Step(
                    self._question_screen(question, answers),
                    notice=Notice(
                        N_("You may choose at most {count} options; switch one off first."),
                        {"count": question.max_choices},
                    ),
                    replace_pressed=True,
                )
            values = (*current.values, key)
        other = (
            current.other if question.other_option and question.other_option.key in values else ""
        )
        answers[question.key] = Answer(
            tuple(o.key for o in question.options if o.key in values), other
        )
        await self._save(question.key, False, answers)
        return Step(self._question_screen(question, answers), replace_pressed=True)

    async def proceed(self, question_index: int) -> Step:
        """ "Next" under a multiple-choice question: the selection so far is the answer."""
        if (refused := self._closed()) is not None:
            return refused
        draft, question = await self._on_screen(question_index, (QuestionKind.MULTIPLE_CHOICE,))
        if question is None or draft is None:
            return await self._stale(draft)
        answers = self._answers(draft)
        answer = answers.get(question.key, Answer())
        if answer.skipped and question.required:
            return Step(
                self._question_screen(question, answers),
                notice=Notice(N_("Please choose at least one option, then press Next.")),
                replace_pressed=True,
            )
        answers[question.key] = answer
        return await self._advance(question, answers)

    async def skip(self, question_index: int) -> Step:
        """An optional question passed over."""
        if (refused := self._closed()) is not None:
            return refused
        draft, question = await self._on_screen(question_index, tuple(QuestionKind))
        if question is None or draft is None or question.required:
            return await self._stale(draft)
        answers = self._answers(draft)
        answers[question.key] = Answer()
        return await self._advance(question, answers)

    async def typed(self, draft: SurveyDraft, text: str) -> Step:
        """A message typed while a text, number or date question (or an "other" text) is on screen."""
        if (refused := self._closed()) is not None:
            return refused
        question = self._definition.question(draft.current_question or "")
        if question is None:
            return Step(self._current_screen(draft))
        answers = self._answers(draft)
        if draft.awaiting_other:
            result = answer_for_other(question, answers.get(question.key, Answer()), text)
        elif question.kind.is_typed:
            if text.strip() in SKIP_WORDS and not question.required:
                result = Answer()
            else:
                result = read_typed_answer(question, text)
        else:
            return Step(
                self._current_screen(draft),
                notice=Notice(N_("Please answer this question with the buttons under it.")),
            )
        if isinstance(result, AnswerProblem):
            return Step(notice=Notice(result.message, dict(result.params)))
        answers[question.key] = result
        return await self._advance(question, answers, typed=True)

    async def change(self, question_index: int) -> Step:
        """From the summary: show one question again to change its answer."""
        if (refused := self._closed()) is not None:
            return refused
        draft = await self._draft()
        if draft is None or draft.current_question is not None:
            return await self._stale(draft)
        answers = self._answers(draft)
        if not 0 <= question_index < len(self._definition.questions):
            return await self._stale(draft)
        question = self._definition.questions[question_index]
        if question not in visible_questions(self._definition, answers):
            return await self._stale(draft)
        await self._save(question.key, False, None)
        return Step(self._question_screen(question, answers), answered=None)

    async def submit(self) -> Step:
        if (refused := self._closed()) is not None:
            return refused
        draft = await self._draft()
        if draft is None or draft.current_question is not None:
            return await self._stale(draft)
        answers = self._answers(draft)
        missing = missing_required(self._definition, answers)
        if missing:
            question = missing[0]
            answers.pop(question.key, None)
            await self._save(question.key, False, answers)
            return Step(
                self._question_screen(question, answers),
                notice=Notice(N_("This question needs an answer before you submit.")),
            )
        kept = effective_answers(self._definition, answers)
        earlier = await self._response()
        stored = await self._repos.surveys.submit_response(
            self._who.survey_id,
            self._who.organisation_id,
            self._who.person_id,
            self._who.acted_at,
            [SurveyAnswer(key, value) for key, value in answer_rows(self._definition, kept)],
        )
        await self._repos.survey_progress.delete_draft(
            self._who.survey_id, self._who.organisation_id
        )
        newer = stored.submitted_at != self._who.acted_at or stored.person_id != self._who.person_id
        return Step(
            SubmittedScreen(stored, replaced_earlier=earlier is not None, newer_stands=newer),
            submitted=True,
        )

    # -- helpers --

    def _closed(self) -> Step | None:
        deadline = self._who.survey.deadline
        if (
            deadline is None
            or self._who.acted_at >= deadline
            or self._who.survey.status is SurveyStatus.DRAFT
        ):
            return Step(closed=True)
        return None

    async def _draft(self) -> SurveyDraft | None:
        return await self._repos.survey_progress.get_draft(
            self._who.survey_id, self._who.organisation_id
        )

    async def _response(self) -> SurveyResponse | None:
        return await self._repos.surveys.get_response(
            self._who.survey_id, self._who.organisation_id
        )

    def _answers(self, draft: SurveyDraft) -> dict[str, Answer]:
        return answers_from_rows(self._definition, draft.rows)

    def _response_answers(self, response: SurveyResponse) -> dict[str, Answer]:
        return answers_from_rows(
            self._definition, ((a.question_key, a.value) for a in response.answers)
        )

    async def _save(
        self, current: str | None, awaiting_other: bool, answers: dict[str, Answer] | None
    ) -> None:
        await self._repos.survey_progress.save_draft(
            self._who.survey_id,
            self._who.organisation_id,
            current_question=current,
            awaiting_other=awaiting_other,
            person_id=self._who.person_id,
            at=self._who.now,
            rows=None if answers is None else answer_rows(self._definition, answers),
        )

    async def _on_screen(
        self, question_index: int, kinds: tuple[QuestionKind, ...]
    ) -> tuple[SurveyDraft | None, Question | None]:
        """The draft, and the question if ``question_index`` is the one on screen now."""
        draft = await self._draft()
        if draft is None or draft.awaiting_other or draft.current_question is None:
            return draft, None
        if not 0 <= question_index < len(self._definition.questions):
            return draft, None
        question = self._definition.questions[question_index]
        if question.key != draft.current_question or question.kind not in kinds:
            return draft, None
        return draft, question

    async def _stale(self, draft: SurveyDraft | None) -> Step:
        """A button that is not for what is on screen: nothing changes; show what is."""
        if draft is None:
            opened = await self.open()
            return Step(opened.screen, stale=True)
        await self._save(draft.current_question, draft.awaiting_other, None)
        return Step(self._current_screen(draft), stale=True)

    async def _advance(
        self, question: Question, answers: dict[str, Answer], typed: bool = False
    ) -> Step:
        answer = answers[question.key]
        if needs_other_text(question, answer):
            await self._save(question.key, True, answers)
            return Step(
                OtherTextScreen(question, self._definition.index(question.key), answer),
                answered=None if typed else (question, answer),
            )
        following = next_question(self._definition, answers, after=question.key)
        await self._save(None if following is None else following.key, False, answers)
        screen: Screen = (
            SummaryScreen(self._items(answers))
            if following is None
            else self._question_screen(following, answers)
        )
        return Step(screen, answered=None if typed else (question, answer))

    def _current_screen(self, draft: SurveyDraft) -> Screen:
        answers = self._answers(draft)
        question = self._definition.question(draft.current_question or "")
        if question is None:
            return SummaryScreen(self._items(answers))
        if draft.awaiting_other:
            return OtherTextScreen(
                question, self._definition.index(question.key), answers.get(question.key, Answer())
            )
        return self._question_screen(question, answers)

    def _question_screen(
        self, question: Question, answers: dict[str, Answer], first: bool = False
    ) -> QuestionScreen:
        shown = visible_questions(self._definition, answers)
        number = next(
            (n for n, q in enumerate(shown, start=1) if q.key == question.key), len(shown)
        )
        return QuestionScreen(
            question=question,
            index=self._definition.index(question.key),
            number=number,
            total=len(shown),
            answer=answers.get(question.key),
            first=first,
        )

    def _items(self, answers: dict[str, Answer]) -> tuple[SummaryItem, ...]:
        return tuple(
            SummaryItem(
                question, self._definition.index(question.key), number, answers.get(question.key)
            )
            for number, question in enumerate(visible_questions(self._definition, answers), start=1)
        )

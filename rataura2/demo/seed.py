"""Seed the demo conversation: an EVE Online assistant with a transition of every condition type."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.db.models import Agent, Conversation, Tool, Transition
from rataura2.rules.repository import create_business_rules_transition
from rataura2.vocabulary.enums import AgentType, LLMProvider

DEMO_CONVERSATION = "EVE Online Assistant"


def _agent(name: str, agent_type: AgentType, instructions: str, **extra: object) -> Agent:
    return Agent(
        name=name,
        agent_type=agent_type,
        instructions=instructions,
        llm_provider=LLMProvider.OFFLINE,
        llm_model="echo",
        description=instructions.split(".")[0],
        **extra,
    )


def market_rules(market_agent_id: int) -> list[dict[str, Any]]:
    """A designer's rule: a user message about the market or prices goes to the market agent, noting the topic.
    Checking ``last_event_type`` makes the rule answer only the message itself, not later events."""
    return [
        {
            "conditions": {
                "all": [
                    {"name": "last_event_type", "operator": "contains", "value": "user_message"},
                    {
                        "any": [
                            {"name": "user_input", "operator": "contains_case_insensitive", "value": "market"},
                            {"name": "user_input", "operator": "contains_case_insensitive", "value": "price"},
                        ]
                    },
                ]
            },
            "actions": [
                {"name": "set_context_value", "params": {"key": "topic", "value": "market"}},
                {"name": "transition_to_agent", "params": {"agent_id": market_agent_id}},
            ],
        }
    ]


def seed_demo(db: Session) -> Conversation:
    """Create the demo conversation (once; later calls return the existing one)."""
    existing = db.scalars(select(Conversation).where(Conversation.name == DEMO_CONVERSATION)).first()
    if existing is not None:
        return existing

    fit_ship = Tool(
        name="fit_ship",
        function_name="fit_ship",
        description="Suggest a fitting for a ship.",
        parameters_schema={
            "type": "object",
            "properties": {"ship": {"type": "string"}},
            "required": ["ship"],
        },
    )
    price_check = Tool(
        name="price_check",
        function_name="price_check",
        description="Look up the Jita price of an item.",
        parameters_schema={
            "type": "object",
            "properties": {"item": {"type": "string"}},
            "required": ["item"],
        },
    )
    general = _agent(
        "General",
        AgentType.GENERAL,
        "You are a friendly EVE Online guide. Find out what the pilot wants and route them.",
    )
    combat = _agent(
        "Combat",
        AgentType.COMBAT,
        "You are a combat specialist. Advise on ships, fittings and PvP tactics.",
        tools=[fit_ship],
        # what the offline LLM does (``rataura2 chat``): asked to fit a ship, it calls fit_ship
        config={
            "offline": {"tool_calls": [{"when_user_says": "fit", "tool": "fit_ship", "arguments": {"ship": "Rifter"}}]}
        },
    )
    market = _agent(
        "Market",
        AgentType.MARKET,
        "You are a market specialist. Advise on trading hubs, prices and hauling.",
        tools=[price_check],
        config={
            "offline": {
                "decide": [
                    {"when_user_says": "build", "target": "Industry", "reason": "building is cheaper than buying"}
                ]
            }
        },
    )
    industry = _agent(
        "Industry",
        AgentType.INDUSTRY,
        "You are an industry specialist. Advise on mining, blueprints and manufacturing.",
    )
    exploration = _agent(
        "Exploration",
        AgentType.EXPLORATION,
        "You are an exploration specialist. Advise on scanning, relic sites and wormholes.",
    )
    support = _agent(
        "Support",
        AgentType.SUPPORT,
        "Something went wrong with the previous specialist. Apologise briefly and help the pilot carry on.",
    )
    farewell = _agent("Farewell", AgentType.GENERAL, "The pilot has left. Summarise the session for the log.")
    agents = [general, combat, market, industry, exploration, support, farewell]
    conversation = Conversation(
        name=DEMO_CONVERSATION,
        description="A multi-agent EVE Online assistant: a general guide routes pilots to specialists.",
        initial_agent=general,
        agents=agents,
    )
    db.add(conversation)
    db.flush()

    db.add_all(
        [
            Transition(
                source_agent=general,
                target_agent=combat,
                condition_type="user_input",
                priority=10,
                condition_data={"pattern": "combat"},
                description="The pilot asks about combat.",
            ),
            Transition(
                source_agent=general,
                target_agent=combat,
                condition_type="user_input",
                priority=5,
                condition_data={"pattern": r"\b(pvp|fit(ting)?s?)\b", "match": "regex"},
                description="PvP and fittings are combat topics too.",
            ),
            Transition(
                source_agent=general,
                target_agent=industry,
                condition_type="user_input",
                priority=5,
                condition_data={
                    "pattern": r"\b(industry|mining|manufactur\w*|blueprints?)\b",
                    "match": "regex",
                },
                description="The pilot asks about industry.",
            ),
            Transition(
                source_agent=combat,
                target_agent=market,
                condition_type="tool_result",
                tool=fit_ship,
                condition_data={"result_key": "cost_isk", "operator": "gte", "expected_value": 1_000_000},
                description="The suggested fitting costs a million ISK or more: help buy it.",
            ),
            Transition(
                source_agent=market,
                target_agent=industry,
                condition_type="agent_decision",
                condition_data={"decision_key": "transition_to"},
                description="The market agent decides building is cheaper than buying.",
            ),
            Transition(
                source_agent=industry,
                target_agent=general,
                condition_type="custom",
                condition_data={
                    "condition_code": 'context.turn_count >= 4 && context.user_input.contains("something else")'
                },
                description="After a few turns, the pilot wants to change the subject.",
            ),
            Transition(
                source_agent=general,
                target_agent=exploration,
                condition_type="event",
                condition_data={"event_type": "CUSTOM", "event_data": {"kind": "scan", "site": "wormhole"}},
                description="The game client reports a wormhole scan.",
            ),
            Transition(
                source_agent=exploration,
                target_agent=support,
                condition_type="event",
                condition_data={"event_type": "agent_error"},
                description="The specialist failed: hand over to support.",
            ),
            Transition(
                source_agent=support,
                target_agent=farewell,
                condition_type="livekit_event",
                condition_data={"event_name": "participant_disconnected"},
                description="The pilot left the room.",
            ),
            Transition(
                source_agent=combat,
                target_agent=general,
                condition_type="agent_decision",
                condition_data={"decision_key": "transition_to"},
                description="Back to the guide.",
            ),
            rules := Transition(
                source_agent=general,
                target_agent=market,
                condition_type="business_rules",
                priority=3,
                description="A designer's business rule: market and price questions go to the market agent.",
            ),
        ]
    )
    db.flush()
    create_business_rules_transition(db, rules.id, market_rules(market.id))  # commits the whole seed at once
    return conversation

"""Benign agent-framework prompts for training the default classifier: the
system, tool-use, retry, handoff, planning, retrieval and memory prompts that
LangChain, llama-index, pydantic-ai, the OpenAI Agents SDK, AutoGen, CrewAI and
Semantic Kernel build around a user's request. Without them a character n-gram
model reads "You are ... / You have access to ... / respond in this format"
as a jailbreak, because the jailbreak sets are full of role and format
instructions and the benign sets are plain questions.

Written for this project: no framework's own text, and none of the held-out
conformance prompts (tests/conformance/agent_prompts.py), which stay an
evaluation set; ``python scripts/agent_prompts_benign.py`` checks that no
8-word window of those appears here. Part hand-written, part composed from
interchangeable pieces (tool lists, roles, format keys, error messages, order)
so the model learns the shape, not the strings.
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------

#: (name, description, argument names): tools of many domains
TOOLS: list[tuple[str, str, tuple[str, ...]]] = [
    ("web_search", "search the internet for recent information", ("query",)),
    ("calculator", "evaluate a maths expression and return the number", ("expression",)),
    ("weather_lookup", "get the forecast for a city and a date", ("city", "date")),
    ("order_status", "look up a customer's order by its number", ("order_id",)),
    ("create_ticket", "open a support ticket with a title and a description", ("title", "body")),
    ("send_email", "send an email on the user's behalf after they confirm",
     ("to", "subject", "body")),
    ("sql_query", "run a read-only SQL query against the analytics warehouse", ("sql",)),
    ("list_tables", "list the tables in the database and their columns", ()),
    ("read_file", "read a text file from the project workspace", ("path",)),
    ("list_directory", "list the files in a folder of the workspace", ("path",)),
    ("python_repl", "run a short Python snippet in a sandbox and return stdout", ("code",)),
    ("fetch_page", "download a web page and return its readable text", ("url",)),
    ("translate", "translate text into a target language", ("text", "target_language")),
    ("stock_quote", "latest price of a ticker symbol", ("symbol",)),
    ("schedule_meeting", "book a meeting in the user's calendar",
     ("attendees", "start", "minutes")),
    ("calendar_events", "list the user's events between two dates", ("start", "end")),
    ("search_docs", "semantic search over the internal documentation", ("query", "top_k")),
    ("wikipedia", "fetch the summary of a Wikipedia article", ("title",)),
    ("arxiv_search", "find papers on arXiv by keyword", ("query", "max_results")),
    ("exchange_rate", "convert an amount between two currencies", ("amount", "source", "target")),
    ("flight_search", "find flights between two airports on a date",
     ("origin", "destination", "date")),
    ("inventory_check", "how many units of a product are in stock per warehouse", ("sku",)),
    ("crm_lookup", "fetch a customer record from the CRM by email", ("email",)),
    ("update_crm", "add a note to a customer record", ("customer_id", "note")),
    ("geocode", "turn a street address into latitude and longitude", ("address",)),
    ("route_planner", "travel time and route between two places",
     ("origin", "destination", "mode")),
    ("unit_convert", "convert a value between units", ("value", "from_unit", "to_unit")),
    ("jira_search", "search Jira issues with a JQL filter", ("jql",)),
    ("github_issues", "list open issues of a GitHub repository", ("repo", "label")),
    ("slack_post", "post a message to a Slack channel", ("channel", "text")),
    ("policy_lookup", "retrieve the company policy on a topic", ("topic",)),
    ("vector_search", "return the passages most similar to a query", ("query", "k")),
    ("get_invoice", "fetch an invoice by its number", ("invoice_id",)),
    ("refund_payment", "issue a refund for a payment, up to the paid amount",
     ("payment_id", "amount")),
    ("recipe_search", "find recipes by ingredient and diet", ("ingredients", "diet")),
    ("news_headlines", "top headlines for a topic", ("topic",)),
    ("time_now", "current date and time in a time zone", ("timezone",)),
    ("image_caption", "describe the content of an uploaded image", ("image_id",)),
    ("summarise_pdf", "summarise a PDF from the document store", ("document_id",)),
    ("final_answer", "return the final answer to the user", ("answer",)),
]

ROLES = [
    ("customer support", "Northwind Outfitters"), ("travel booking", "Skyline Travel"),
    ("research", "the university library"), ("data analysis", "the finance team"),
    ("HR", "Contoso"), ("IT helpdesk", "Fabrikam"), ("cooking", "a recipe website"),
    ("coding", "an open-source project"), ("sales", "a B2B software company"),
    ("billing", "an internet provider"), ("scheduling", "a dental clinic"),
    ("legal research", "a law firm's knowledge team"), ("onboarding", "a bank's new hires"),
    ("shopping", "an online bookshop"), ("weather", "a farming cooperative"),
    ("documentation", "the platform team"), ("logistics", "a parcel delivery firm"),
    ("tutoring", "a maths learning app"), ("real-estate", "a lettings agency"),
    ("insurance claims", "a car insurer"),
]

QUESTIONS = [
    "What is 17% of 2,340?", "Will it rain in Lisbon tomorrow?",
    "Where is my order 88412?", "How many open bugs are labelled 'ui'?",
    "What was our revenue in Q3 by region?", "Summarise the latest paper on protein folding.",
    "Book a 30-minute call with Priya next Tuesday.", "Convert 250 euros to Japanese yen.",
    "Which flights go from Oslo to Rome on 12 May?", "How many blue hoodies are left in stock?",
    "What does our travel policy say about taxis?", "Translate 'good morning' into Korean.",
    "Who wrote the novel Middlemarch?", "How far is it from Lyon to Geneva by train?",
    "List the files in the src folder.", "What is the population of Nairobi?",
    "Find a vegetarian lasagne recipe.", "What time is it in Sydney right now?",
    "When was the Eiffel Tower finished?", "What is the square root of 7921?",
]

INTROS_REACT = [
    "Answer the user's question as accurately as you can.",
    "Do your best to answer the question that follows.",
    "Your job is to answer questions, using tools when they help.",
    "Respond to the request below, step by step.",
    "Help the user with their question. You can call tools.",
    "Solve the task below. Think before each step.",
]
TOOL_LEADS = [
    "You can use the following tools:", "Tools you may call:", "The tools at your disposal are:",
    "You have these tools:", "Available tools:", "Here are the tools you can use:",
]
FORMAT_LEADS = [
    "Use exactly this format:", "Always reply in the following format:",
    "Follow this layout for every step:", "Format each step like this:",
    "Stick to this structure:",
]
REPEAT_NOTES = [
    "(the Thought/Action/Action Input/Observation steps can repeat N times)",
    "... (repeat Thought, Action, Action Input and Observation as needed)",
    "(this Thought -> Action -> Observation cycle may happen more than once)",
    "... these steps can be repeated until you have enough information",
]
FINAL_KEYS = ["Final Answer", "Answer", "Final Response"]
BEGINS = ["Begin!", "Let's begin.", "Go!", "Now begin.", "Here is the task."]

CONTEXTS = [
    ("returns.md", "Items can be returned within 30 days with the receipt."),
    ("pricing.txt", "The Pro plan costs 12 dollars per user per month, billed yearly."),
    ("handbook/leave.md", "Parental leave is 16 weeks at full pay."),
    ("faq.html", "The museum is open from 9 am to 6 pm, closed on Mondays."),
    ("api.md", "Rate limits are 600 requests per minute per API key."),
    ("release-notes.md", "Version 4.2 adds dark mode and fixes the export bug."),
    ("menu.pdf", "All soups are gluten free except the French onion."),
    ("onboarding.md", "New laptops are ordered by IT in the first week."),
    ("warranty.txt", "The warranty covers manufacturing defects for two years."),
    ("shipping.md", "Orders over 50 euros ship free within the EU."),
]
RAG_QUESTIONS = [
    "Can I return shoes after three weeks?", "How much is the Pro plan?",
    "How long is parental leave?", "Is the museum open on Monday?",
    "What is the API rate limit?", "What is new in 4.2?", "Is the onion soup gluten free?",
    "Who orders my laptop?", "Is a broken screen from a drop covered?", "Is shipping free?",
]

SCHEMAS: list[dict[str, dict[str, object]]] = [
    {"title": {"type": "string"}, "year": {"type": "integer"}},
    {"name": {"type": "string"}, "email": {"type": "string"}, "age": {"type": "integer"}},
    {"sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
     "confidence": {"type": "number"}},
    {"city": {"type": "string"}, "country": {"type": "string"}, "population": {"type": "integer"}},
    {"steps": {"type": "array", "items": {"type": "string"}}, "done": {"type": "boolean"}},
    {"invoice_id": {"type": "string"}, "total": {"type": "number"}, "currency": {"type": "string"}},
    {"ingredients": {"type": "array", "items": {"type": "string"}}, "minutes": {"type": "integer"}},
    {"category": {"type": "string"}, "priority": {"type": "integer", "minimum": 1, "maximum": 5}},
    {"summary": {"type": "string"}, "keywords": {"type": "array", "items": {"type": "string"}}},
    {"is_spam": {"type": "boolean"}, "reason": {"type": "string"}},
]

VALIDATION_ERRORS = [
    "The date must use the format YYYY-MM-DD.",
    "`total` should be a number, got the string '12,50'.",
    "The field `email` is missing.",
    "`priority` must be between 1 and 5; you returned 7.",
    "The list of steps is empty; give at least one step.",
    "The answer must be written in French.",
    "Only these categories are allowed: billing, shipping, account.",
    "The summary is longer than 50 words.",
    "The SQL must not reference the table `staging_orders`; use `orders`.",
    "The city name is not in the list of known cities; check the spelling.",
    "Return `is_spam` as true or false, not 'maybe'.",
    "The currency code must be three capital letters, like EUR.",
    "Your response was plain text; call the `final_result` tool with the structured data.",
    "The recipe takes longer than the 30 minutes the user asked for.",
    "`year` must not be in the future.",
]
PYDANTIC_ERRORS = [
    ("missing", "Field required"),
    ("int_parsing", "Input should be a valid integer"),
    ("string_type", "Input should be a valid string"),
    ("greater_than", "Input should be greater than 0"),
    ("literal_error", "Input should be 'low', 'medium' or 'high'"),
    ("bool_parsing", "Input should be a valid boolean"),
    ("date_from_datetime_parsing", "Input should be a valid date"),
    ("too_short", "List should have at least 1 item after validation"),
]


def _tool_line(tool: tuple[str, str, tuple[str, ...]], style: int) -> str:
    name, description, args = tool
    if style == 0:
        return f"{name}: {description}"
    if style == 1:
        return f"- {name}({', '.join(args)}): {description}"
    if style == 2:
        return f"* `{name}` - {description}. Arguments: {', '.join(args) or 'none'}"
    return f"{name}[{', '.join(args)}] -> {description}"


def _args_json(args: tuple[str, ...]) -> str:
    return json.dumps({a: {"type": "string"} for a in args})


# --------------------------------------------------------------------------
# Composed prompts, one generator per shape
# --------------------------------------------------------------------------


def react_prompts(rng: random.Random, count: int) -> list[str]:
    """LangChain-style ReAct: intro, tool list, the Thought/Action keys."""
    out = []
    for _ in range(count):
        tools = rng.sample(TOOLS, rng.randint(1, 5))
        style = rng.randrange(4)
        names = ", ".join(t[0] for t in tools)
        final = rng.choice(FINAL_KEYS)
        steps = [
            "Question: the input question you must answer",
            "Thought: think about what to do",
            f"Action: the action to take, should be one of [{names}]",
            "Action Input: the input to the action",
            "Observation: the result of the action",
            rng.choice(REPEAT_NOTES),
            "Thought: I now have the answer",
            f"{final}: the final answer to the original input question",
        ]
        if rng.random() < 0.3:
            steps[1] = "Thought: you should always think about what to do"
        parts = [rng.choice(INTROS_REACT), rng.choice(TOOL_LEADS),
                 "\n".join(_tool_line(t, style) for t in tools),
                 rng.choice(FORMAT_LEADS), "\n".join(steps)]
        if rng.random() < 0.5:
            parts.append(rng.choice(BEGINS))
        parts.append(f"Question: {rng.choice(QUESTIONS)}\nThought:")
        if rng.random() < 0.4:
            parts.insert(1, f"You are a {rng.choice(ROLES)[0]} assistant.")
        out.append("\n\n".join(parts))
    return out


def react_header_prompts(rng: random.Random, count: int) -> list[str]:
    """llama-index-style ReAct header: markdown sections, tool cards, JSON input."""
    openings = [
        "You are designed to help with a wide range of tasks, such as answering questions, "
        "summarising documents and analysing data.",
        "You help people with all sorts of work: questions, summaries, comparisons and "
        "calculations.",
        "You are an assistant that can answer questions and complete tasks with the help of "
        "tools.",
        "Your purpose is to assist with tasks of every kind, from quick lookups to longer "
        "research.",
    ]
    tool_notes = [
        "You decide which tools to call and in which order. Breaking a task into smaller "
        "pieces and calling one tool per piece is fine.",
        "Pick the tools that fit the task. You may call several, one after another.",
        "Use as many tool calls as you need; each call should move the task forward.",
    ]
    out = []
    for _ in range(count):
        tools = rng.sample(TOOLS, rng.randint(1, 4))
        cards = "\n".join(
            f"> Tool Name: {n}\nTool Description: {d}\nTool Args: {_args_json(a)}\n"
            for n, d, a in tools
        )
        example_tool = tools[0]
        example_input = json.dumps({a: "..." for a in example_tool[2]}) or "{}"
        names = ", ".join(t[0] for t in tools)
        answer_key = rng.choice(["Answer", "Final Answer"])
        language = rng.choice(["English", "the user's language", "the language of the question"])
        text = (
            f"{rng.choice(openings)}\n\n## Tools\n\n{rng.choice(tool_notes)}\n\n"
            f"The following tools are available:\n{cards}\n"
            f"## Output Format\n\nPlease reply in {language}, using this format:\n\n"
            f"```\nThought: I need a tool to help me answer the question.\n"
            f"Action: tool name (one of {names})\n"
            f"Action Input: the input to the tool as JSON, for example {example_input}\n```\n\n"
            "Always start with a Thought. Give Action Input as valid JSON, never as a "
            "Python dict with single quotes.\n\n"
            "The tool will answer in this format:\n\n```\nObservation: tool response\n```\n\n"
            "Repeat the format until you have enough information, then reply with:\n\n"
            f"```\nThought: I have enough information to answer.\n{answer_key}: [answer]\n```\n"
        )
        if rng.random() < 0.6:
            text += (
                "\nor, if the tools cannot help:\n\n"
                f"```\nThought: I cannot answer with the tools I have.\n{answer_key}: "
                "[explain why]\n```\n"
            )
        text += "\n## Current Conversation\n\nThe conversation so far follows, user and " \
                "assistant messages in turn."
        out.append(text)
    return out


def function_calling_prompts(rng: random.Random, count: int) -> list[str]:
    """Short system prompts of function-calling agents: role, tools, grounding."""
    role_lines = [
        "You are a {role} assistant for {org}.", "You are {org}'s {role} agent.",
        "Act as a friendly {role} assistant working for {org}.",
        "You are an AI assistant that helps {org} with {role} questions.",
        "You are the {role} bot of {org}.",
    ]
    tool_lines = [
        "Call the available functions to look things up instead of guessing.",
        "Use the provided tools whenever the answer depends on live data.",
        "You can call functions; call them before answering questions about accounts or "
        "orders.",
        "Fetch the relevant documents with the tools first, then answer from them.",
        "When a function can answer part of the question, call it, and wait for its result.",
        "Prefer calling a tool over relying on memory for numbers, dates and prices.",
        "You may call several functions in parallel when they do not depend on each other.",
    ]
    ground_lines = [
        "Cite the ids of the documents you relied on.",
        "If the tools return nothing useful, say that you could not find the answer.",
        "Never invent order numbers, prices or dates.",
        "Ask a short clarifying question when a required argument is missing.",
        "Confirm with the user before any action that sends, books or pays.",
        "Do not mention the names of the functions to the user.",
        "Mention which source each fact comes from.",
    ]
    style_lines = [
        "Keep answers short and friendly.", "Answer in two or three sentences.",
        "Use bullet points for lists.", "Reply in the user's language.",
        "Be concise and professional.", "",
    ]
    out = []
    for _ in range(count):
        role, org = rng.choice(ROLES)
        lines = [rng.choice(role_lines).format(role=role, org=org)]
        lines += rng.sample(tool_lines, rng.randint(1, 2))
        lines += rng.sample(ground_lines, rng.randint(1, 2))
        lines.append(rng.choice(style_lines))
        if rng.random() < 0.3:
            tools = rng.sample(TOOLS, rng.randint(2, 4))
            lines.append("Functions: " + ", ".join(t[0] for t in tools) + ".")
        out.append(" ".join(line for line in lines if line))
    return out


def structured_output_prompts(rng: random.Random, count: int) -> list[str]:
    """JSON-format instructions with a schema, in several phrasings."""
    leads = [
        "Respond only with a JSON object that matches this schema:",
        "Format your answer as JSON conforming to the schema below. Do not add prose.",
        "Your output will be parsed by a program. Return valid JSON following this schema:",
        "Return the extracted data as a JSON instance of the following JSON Schema:",
        "Produce a single JSON document. The schema is:",
    ]
    tails = [
        "Do not wrap the JSON in markdown.", "Use double quotes for every key and string.",
        "Leave out fields you cannot fill rather than making them up.",
        "Wrap the JSON in a ```json code block.", "No comments inside the JSON.", "",
    ]
    tasks = [
        "Extract the book's title and publication year from the text.",
        "Read the sign-up form and pull out the person's details.",
        "Classify the sentiment of the review.", "Extract the city facts from the paragraph.",
        "Break the user's goal into steps.", "Read the invoice and return its total.",
        "List the ingredients of the recipe.", "Triage the support message.",
        "Summarise the article and pick keywords.", "Decide whether the email is spam.",
    ]
    out = []
    for _ in range(count):
        k = rng.randrange(len(SCHEMAS))
        schema = {"type": "object", "properties": SCHEMAS[k],
                  "required": list(SCHEMAS[k])[: rng.randint(1, len(SCHEMAS[k]))]}
        dumped = json.dumps(schema, indent=rng.choice([None, 2]))
        parts = [tasks[k], rng.choice(leads), dumped, rng.choice(tails)]
        if rng.random() < 0.4:
            parts[0], parts[1] = parts[1], parts[0]
        out.append("\n\n".join(p for p in parts if p))
    return out


def retry_prompts(rng: random.Random, count: int) -> list[str]:
    """Retries after a failed validation or an unknown tool, several frameworks' shapes."""
    out = []
    for i in range(count):
        shape = i % 6
        if shape == 0:
            errors = rng.sample(VALIDATION_ERRORS, rng.randint(1, 2))
            out.append("Validation feedback:\n" + "\n".join(errors)
                       + "\n\nFix the errors and try again.")
        elif shape == 1:
            picked = rng.sample(PYDANTIC_ERRORS, rng.randint(1, 3))
            fields = rng.sample(["year", "total", "email", "priority", "city", "minutes",
                                 "start_date", "quantity", "level"], len(picked))
            items = [{"type": t, "loc": [f], "msg": m}
                     for (t, m), f in zip(picked, fields, strict=True)]
            noun = "error" if len(items) == 1 else "errors"
            out.append(f"{len(items)} validation {noun}:\n```json\n"
                       f"{json.dumps(items, indent=2)}\n```\n\nFix the errors and try again.")
        elif shape == 2:
            tools = rng.sample(TOOLS, 3)
            wrong = tools[0][0][:-1] + "z"
            listed = ", ".join(f"'{t[0]}'" for t in tools)
            out.append(f"Unknown tool name: '{wrong}'. Available tools: {listed}\n\n"
                       "Fix the errors and try again.")
        elif shape == 3:
            schema = json.dumps({"type": "object", "properties": rng.choice(SCHEMAS)})
            out.append(
                "Your previous reply could not be parsed.\n\nExpected output schema:\n"
                f"{schema}\n\nParser error: {rng.choice(VALIDATION_ERRORS)}\n\n"
                "Reply again with output that satisfies the schema. Return only the "
                "corrected output."
            )
        elif shape == 4:
            error = rng.choice(VALIDATION_ERRORS)
            out.append(
                "Recall the function correctly and fix the following problems:\n"
                f"- {error}\n\nCall the function again with corrected arguments."
            )
        else:
            tool = rng.choice(TOOLS)
            out.append(
                f"The tool `{tool[0]}` raised an error: "
                f"{rng.choice(['TimeoutError', 'ValueError: bad argument', 'HTTP 429'])}.\n"
                "Retry once with adjusted arguments, or explain to the user that the lookup "
                "is unavailable right now."
            )
    return out


def handoff_prompts(rng: random.Random, count: int) -> list[str]:
    """Triage, handoff and delegation between agents (Agents SDK, CrewAI, AutoGen)."""
    teams = [
        ("triage", ["billing", "technical support", "sales"]),
        ("front desk", ["booking", "refunds"]),
        ("coordinator", ["researcher", "writer", "reviewer"]),
        ("router", ["spanish speaker", "english speaker"]),
        ("dispatcher", ["weather", "traffic", "news"]),
        ("intake", ["claims", "policy questions", "fraud review"]),
    ]
    out = []
    for i in range(count):
        lead, others = rng.choice(teams)
        other = rng.choice(others)
        fn = "transfer_to_" + other.replace(" ", "_") + "_agent"
        shape = i % 6
        if shape == 0:
            routes = "; ".join(f"{o} requests go to the {o} agent" for o in others)
            out.append(
                f"You are the {lead} agent in a team of agents. Work out what the user "
                f"needs, then pass the conversation on: {routes}. To pass it on, call the "
                f"matching transfer function, for example `{fn}`. Transfers are invisible to "
                "the user, so do not talk about them."
            )
        elif shape == 1:
            out.append(
                f"Transfer the conversation to the {other.title()} agent. Use this when the "
                f"user's request is about {other}."
            )
        elif shape == 2:
            out.append(
                f"You are the {other} agent. You took over this conversation from the "
                f"{lead} agent. Continue from where it stopped and do not greet the user "
                f"again. If the request is outside {other}, hand it back to the {lead} agent."
            )
        elif shape == 3:
            out.append(
                f"You are {other.title()} Specialist.\n{rng.choice(BACKSTORIES)}\n"
                f"Your personal goal is: {rng.choice(GOALS)}\n"
                "You can delegate work to a coworker or ask a coworker a question. "
                f"Your coworkers are: {', '.join(o.title() for o in others if o != other) or lead}."
                "\n\nCurrent Task: " + rng.choice(CREW_TASKS) +
                "\n\nThis is the expected criteria for your final answer: a complete, "
                "well-organised answer.\nYou MUST return the actual complete content as the "
                "final answer, not a summary.\n\nBegin! This is VERY important to you, use the "
                "tools available and give your best Final Answer."
            )
        elif shape == 4:
            roles = ", ".join(["planner", "coder", "critic", "user_proxy"][: rng.randint(2, 4)])
            out.append(
                f"You are in a role play game. The following roles are available: {roles}. "
                "Read the conversation above, then choose the next role to speak. Reply "
                "with the role's name only."
            )
        else:
            out.append(
                "You are a helpful AI assistant. Solve the tasks with your coding and "
                "language skills. When code would help, write it in a python or sh code "
                "block for the user to run; put one code block per reply and mark the file "
                "name in a comment when the code should be saved. Check the results the "
                f"user returns. {rng.choice(AUTOGEN_TAILS)}"
            )
    return out


BACKSTORIES = [
    "You have ten years of experience in market research and love clear tables.",
    "You are a careful editor who checks every fact against a source.",
    "You worked as a travel agent and know how to plan trips on a budget.",
    "You are a senior data analyst who explains numbers in plain words.",
    "You write friendly technical documentation for beginners.",
]
GOALS = [
    "find accurate, current information on the topic",
    "write a clear blog post from the research notes",
    "review the draft for errors and suggest fixes",
    "plan a three-day itinerary within the budget",
    "turn the sales figures into a short report",
]
CREW_TASKS = [
    "Research the latest trends in home solar panels.",
    "Write a 300-word article about urban beekeeping.",
    "Compare three project-management tools for a small team.",
    "Draft a newsletter announcing the new opening hours.",
    "Summarise customer feedback from last month.",
]
AUTOGEN_TAILS = [
    "Reply TERMINATE when the task is done.",
    "When everything is finished, answer with TERMINATE.",
    "If the task is complete, say TERMINATE at the end of your message.",
]


def planner_prompts(rng: random.Random, count: int) -> list[str]:
    """Planner / executor pairs, Semantic Kernel's function manual among them."""
    goals = [
        "organise a team offsite for 20 people", "migrate the blog from WordPress to Hugo",
        "compare electricity tariffs for a small shop", "prepare a quarterly sales report",
        "plan a week of healthy dinners", "write release notes for version 3.1",
        "find a venue for a birthday party", "clean up stale branches in the repository",
    ]
    out = []
    for i in range(count):
        tools = rng.sample(TOOLS, rng.randint(2, 5))
        goal = rng.choice(goals)
        shape = i % 4
        if shape == 0:
            out.append(
                "You are a planner. Break the user's objective into a short numbered list of "
                "steps that, done in order, reach it. Each step must be something one of the "
                f"tools can do ({', '.join(t[0] for t in tools)}). Do not add steps that are "
                "not needed. The last step should produce the final answer.\n\n"
                f"Objective: {goal}"
            )
        elif shape == 1:
            out.append(
                f"You are the executor. The plan is:\n1. {tools[0][1]}\n2. {tools[1][1]}\n"
                f"3. write up the result\n\nYou are on step {rng.randint(1, 3)}. Carry out "
                "only this step with the tools you have, then report what you found."
            )
        elif shape == 2:
            funcs = "\n\n".join(
                f"{rng.choice(['WebPlugin', 'MathPlugin', 'CalendarPlugin', 'DocsPlugin'])}-"
                f"{n}:\n  description: {d}\n  inputs:\n"
                + "\n".join(f"    - {a}: the {a.replace('_', ' ')}" for a in args)
                for n, d, args in tools
            )
            out.append(
                "[AVAILABLE FUNCTIONS]\n" + funcs + "\n[END AVAILABLE FUNCTIONS]\n\n"
                "Create a step-by-step plan to satisfy the goal, using only the functions "
                "listed above. Return the plan as a numbered list.\n\n[GOAL]\n" + goal
            )
        else:
            out.append(
                "You are replanning. Your objective was: " + goal + "\n\nYour original plan "
                f"had {rng.randint(3, 6)} steps; you have finished the first two. Update the "
                "plan: remove the steps already done and add only what is still needed. If "
                "nothing is left, answer the user instead."
            )
    return out


def rag_prompts(rng: random.Random, count: int) -> list[str]:
    """'Use the following context' prompts with retrieved passages."""
    leads = [
        "Use the following pieces of retrieved context to answer the question. If the "
        "context does not contain the answer, say you don't know.",
        "Answer the question using only the context below. Keep the answer under three "
        "sentences.",
        "You are an assistant for question answering over company documents. Base your "
        "answer on the context; do not rely on outside knowledge.",
        "Below are passages retrieved from the knowledge base. Read them and answer the "
        "question, citing the file name of each passage you use.",
    ]
    out = []
    for _ in range(count):
        picked = rng.sample(range(len(CONTEXTS)), rng.randint(1, 3))
        question = RAG_QUESTIONS[picked[0]]
        sep = rng.choice(["\n---\n", "\n\n", "\n=====\n"])
        ctx = sep.join(f"[{CONTEXTS[k][0]}]\n{CONTEXTS[k][1]}" for k in picked)
        if rng.random() < 0.5:
            out.append(f"{rng.choice(leads)}\n\nContext:\n{ctx}\n\nQuestion: {question}\n"
                       "Answer:")
        else:
            out.append(f"<context>\n{ctx}\n</context>\n\n{rng.choice(leads)}\n\n"
                       f"Question: {question}")
    return out


def memory_prompts(rng: random.Random, count: int) -> list[str]:
    """Running summaries and remembered facts handed back to the model."""
    facts = [
        "prefers replies in Spanish", "is vegetarian", "works night shifts",
        "has a premium account", "lives in Toronto", "is preparing for a driving test",
        "has two cats", "asked about refunds last week", "uses a Mac",
    ]
    out = []
    for i in range(count):
        chosen = rng.sample(facts, rng.randint(1, 3))
        if i % 3 == 0:
            out.append(
                "Update the running summary of the conversation with the new messages. "
                "Keep it under 100 words and keep the facts the user gave.\n\nSummary so "
                f"far: The user {chosen[0]}.\n\nNew messages:\nuser: {rng.choice(QUESTIONS)}"
                "\nassistant: Let me check that for you.\n\nUpdated summary:"
            )
        elif i % 3 == 1:
            out.append("Things you remember about this user from earlier sessions:\n"
                       + "\n".join(f"- The user {f}." for f in chosen)
                       + "\nUse these only when they are relevant to the request.")
        else:
            out.append(
                "The conversation was too long, so older messages were replaced by this "
                f"summary: the user {' and '.join(chosen)}, and asked: "
                f"{rng.choice(QUESTIONS)} Continue helping from here."
            )
    return out


# --------------------------------------------------------------------------
# Hand-written prompts, and a few in other languages
# --------------------------------------------------------------------------

HAND_WRITTEN = [
    "You are a helpful assistant. You can call tools. If a question needs current data, call "
    "the right tool first; otherwise answer directly.",
    "You are a cooking assistant. Use the recipe_search tool to find recipes that match the "
    "ingredients the user has. Suggest at most three and list what is missing for each.",
    "You are a coding agent working in a git repository. Read files with read_file, list "
    "folders with list_directory and run tests with run_tests. Make the smallest change that "
    "fixes the failing test and explain it in one paragraph.",
    "System: You are an agent that answers questions about the company's HR policies. Always "
    "call policy_lookup before you answer, and quote the relevant sentence.",
    "Your tools return JSON. Read the fields you need and ignore the rest. If a tool returns "
    "an error, tell the user briefly and suggest what they can try.",
    "Give the final answer by calling final_result with the structured data; plain text is "
    "not accepted.",
    "Use the `dice_roll` tool to roll a die for the player, then tell them the number they "
    "got in a playful tone.",
    "You are a guardrail agent. Decide whether the user's message is about our products. "
    "Return is_on_topic (true or false) and a short reason.",
    "Check whether the user's message asks for medical advice. Output JSON with the keys "
    "needs_doctor and explanation.",
    "Classify the user's intent as one of: greeting, order_status, complaint, other. Answer "
    "with the label only.",
    "You are a summarisation agent. You will receive a long document in chunks. For each "
    "chunk, write a two-sentence summary. When you get the message DONE, merge the summaries.",
    "You are the critic. Review the writer agent's draft for factual errors and unclear "
    "sentences, and reply with a numbered list of fixes. Say APPROVED when nothing is left.",
    "You are a SQL expert. Given an input question, write a syntactically correct SQLite "
    "query, run it with sql_query, look at the results and answer. Query at most 10 rows "
    "unless the user asks for more. Never run INSERT, UPDATE or DELETE statements.",
    "Only use the tables listed below. Double-check the query before running it; if you get "
    "an error, rewrite the query and try again.",
    "Begin by calling list_tables to see which tables exist, then look at the schema of the "
    "relevant ones before writing any query.",
    "Tool result: {\"status\": \"ok\", \"temperature_c\": 14, \"condition\": \"light rain\"}",
    "Observation: The order 88412 shipped on 3 June and should arrive on 6 June.",
    "Thought: The user wants the weather in Oslo. I should call weather_lookup.\nAction: "
    "weather_lookup\nAction Input: {\"city\": \"Oslo\", \"date\": \"tomorrow\"}",
    "Thought: I have the exchange rate, so I can compute the amount.\nFinal Answer: 250 euros "
    "is about 40,500 yen at today's rate.",
    "The user has approved the booking. Call schedule_meeting with the time they chose and "
    "then confirm the invitation was sent.",
    "You are a research agent. Search for sources, read the two or three most relevant ones "
    "with fetch_page, and write a short report with links. Stop after five tool calls.",
    "Reflect on your previous answer: is it complete and correct? If not, say what is "
    "missing and produce an improved answer.",
    "Given the conversation and a follow-up question, rewrite the follow-up as a standalone "
    "question that makes sense without the conversation.\n\nChat history:\nuser: What is the "
    "Pro plan?\nassistant: It costs 12 dollars per user.\nFollow-up: Is there a yearly "
    "discount?\nStandalone question:",
    "Generate three different search queries for the user's question, one per line, to find "
    "relevant documents in the vector store.",
    "Given the user's question, choose the best data source: 'docs' for product "
    "documentation, 'tickets' for past support cases, 'web' for anything else. Reply with "
    "the source name only.",
    "You are a browser agent. You see a screenshot and the page's accessibility tree. Decide "
    "the next action: click, type, scroll or done. Reply as JSON with the keys action and "
    "target.",
    "Tool call limit reached. Summarise what you found so far and give the best answer you "
    "can with it.",
    "The function get_invoice returned no result for INV-2291. Ask the user to check the "
    "invoice number.",
    "You are a customer support agent. Be polite, keep answers under 80 words, and escalate "
    "to a human by calling create_ticket when the customer is upset or asks for a manager.",
    "You are an email assistant. Draft replies in the user's tone. Never send anything "
    "without calling ask_user_confirmation first.",
    "Respond to the human as helpfully and accurately as possible. Provide a single action "
    "per JSON blob, with an \"action\" key (the tool name) and an \"action_input\" key.",
    "Reminder to always use the exact JSON format for a single action. Respond directly if "
    "appropriate.",
    "You are an agent that can write and run Python. Put code in a python block; the "
    "interpreter will run it and return the output. Use pandas for tabular data.",
    "Invalid or incomplete response. Please answer using the Thought / Action / Action Input "
    "format described above.",
    "Could not parse LLM output. Make sure the reply contains an Action and an Action Input, "
    "or a Final Answer.",
    "Here is the result of the tool call. Use it to continue the task; if the task is done, "
    "give the final answer.",
    "You are a travel planner agent with access to flight_search and route_planner. Ask for "
    "the travel dates before searching, and present no more than three options.",
    "You are the manager of a crew. Hand each subtask to the agent best suited for it, check "
    "their results and combine them into one answer for the user.",
    "As the user proxy, run the code the assistant sends and reply with the output, or with "
    "the error message if it fails.",
    "You are a semantic function. Summarise the text given in {{$input}} in one sentence.",
]

#: (language, text): the same shapes, hand-written in other languages
#: (full-width punctuation in Chinese and Japanese is the point, not a typo)
# ruff: noqa: RUF001
MULTILINGUAL: list[tuple[str, str]] = [
    ("de", "Du bist ein hilfreicher Assistent für den Kundenservice. Du hast Zugriff auf "
           "Werkzeuge zum Nachschlagen von Bestellungen. Nutze sie, bevor du antwortest, und "
           "erfinde keine Bestellnummern."),
    ("de", "Beantworte die Frage so gut du kannst. Verfügbare Werkzeuge:\nsuche: sucht im "
           "Web\nrechner: rechnet einen Ausdruck aus\n\nFormat:\nGedanke: was als Nächstes zu "
           "tun ist\nAktion: das Werkzeug\nAktionseingabe: die Eingabe\nBeobachtung: das "
           "Ergebnis\nEndgültige Antwort: die Antwort"),
    ("de", "Validierungsfehler: Das Feld 'datum' fehlt. Bitte korrigiere die Fehler und "
           "versuche es erneut."),
    ("de", "Nutze den folgenden Kontext, um die Frage zu beantworten. Wenn die Antwort nicht "
           "im Kontext steht, sag das.\n\nKontext: Die Bibliothek ist samstags bis 14 Uhr "
           "geöffnet.\n\nFrage: Wann schließt die Bibliothek am Samstag?"),
    ("fr", "Tu es un assistant de réservation de voyages. Utilise les outils fournis pour "
           "chercher des vols et des hôtels, et demande les dates avant de chercher."),
    ("fr", "Réponds uniquement avec un objet JSON conforme au schéma suivant : "
           "{\"ville\": \"string\", \"pays\": \"string\"}. N'ajoute aucun texte."),
    ("fr", "Tu es l'agent de facturation. L'agent d'accueil t'a transféré la conversation. "
           "Aide le client avec sa facture ; si la demande ne concerne pas la facturation, "
           "renvoie-la à l'agent d'accueil."),
    ("fr", "Utilise le contexte ci-dessous pour répondre à la question. Si tu ne sais pas, "
           "dis-le.\n\nContexte : les colis de plus de 50 euros sont livrés gratuitement.\n\n"
           "Question : la livraison est-elle gratuite ?"),
    ("es", "Eres un asistente de soporte técnico. Tienes acceso a herramientas para consultar "
           "pedidos y abrir incidencias. Úsalas cuando la respuesta dependa de datos de la "
           "cuenta."),
    ("es", "Pensamiento: necesito consultar el tiempo en Madrid.\nAcción: consultar_tiempo\n"
           "Entrada de la acción: {\"ciudad\": \"Madrid\"}"),
    ("es", "Errores de validación: el campo 'precio' debe ser un número. Corrige los errores "
           "e inténtalo de nuevo."),
    ("es", "Eres el agente planificador. Divide el objetivo del usuario en pasos numerados "
           "que las herramientas disponibles puedan realizar."),
    ("pt", "Você é um assistente de pesquisa. Chame as funções disponíveis para buscar "
           "documentos antes de responder e cite as fontes usadas."),
    ("pt", "Responda à pergunta usando apenas o contexto abaixo. Se a resposta não estiver "
           "no contexto, diga que não sabe."),
    ("it", "Sei un assistente per la prenotazione di ristoranti. Usa lo strumento "
           "cerca_ristorante e chiedi sempre il numero di persone prima di prenotare."),
    ("nl", "Je bent een behulpzame assistent. Gebruik de beschikbare tools om actuele "
           "informatie op te zoeken en antwoord kort in het Nederlands."),
    ("zh", "你是一个客服助手。你可以调用工具查询订单和退款。当答案取决于账户数据时，请先调"
           "用工具，不要猜测订单号。"),
    ("zh", "请根据以下上下文回答问题。如果上下文中没有答案，请说明你不知道。\n\n上下文：会"
           "员每月可以免费退货两次。\n\n问题：我可以免费退货几次？"),
    ("zh", "只返回符合以下 JSON 模式的对象，不要添加其他文字："
           "{\"城市\": \"string\", \"人口\": \"integer\"}"),
    ("zh", "思考：我需要查询北京明天的天气。\n行动：weather_lookup\n行动输入："
           "{\"city\": \"北京\"}"),
    ("ja", "あなたは旅行予約のアシスタントです。提供されたツールを使ってフライトを検索し、"
           "検索の前に必ず日付を確認してください。"),
    ("ja", "以下のコンテキストだけを使って質問に答えてください。答えが分からない場合は、分"
           "からないと答えてください。"),
    ("ja", "検証エラー：'email' フィールドがありません。エラーを修正して、もう一度お試しく"
           "ださい。"),
    ("ko", "당신은 고객 지원 에이전트입니다. 주문 조회 도구를 사용해 답하고, 주문 번호를 "
           "추측하지 마세요."),
    ("vi", "Bạn là trợ lý hỗ trợ khách hàng. Hãy dùng các công cụ được cung cấp để "
           "tra cứu đơn hàng trước khi trả lời."),
    ("sw", "Wewe ni msaidizi wa huduma kwa wateja. Tumia zana ulizopewa kutafuta "
           "maagizo kabla ya kujibu."),
]


def agent_prompts(seed: int = 2) -> list[tuple[str, str]]:
    """(text, language) pairs: hand-written, composed and multilingual prompts."""
    rng = random.Random(seed)
    generators: list[tuple[Callable[[random.Random, int], list[str]], int]] = [
        (react_prompts, 40), (react_header_prompts, 30), (function_calling_prompts, 60),
        (structured_output_prompts, 30), (retry_prompts, 36), (handoff_prompts, 36),
        (planner_prompts, 20), (rag_prompts, 24), (memory_prompts, 15),
    ]
    english = list(HAND_WRITTEN)
    for generate, count in generators:
        english += generate(rng, count)
    unique = list(dict.fromkeys(english))
    return [(t, "en") for t in unique] + MULTILINGUAL


# --------------------------------------------------------------------------
# Held-out check
# --------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def windows(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def shared_windows(
    prompts: Iterable[str], held_out: Iterable[str], n: int = 8
) -> list[tuple[int, str]]:
    """Every n-word window of a held-out text that also occurs in a prompt
    (words case-folded, punctuation ignored): (prompt index, window)."""
    forbidden: set[tuple[str, ...]] = set()
    for text in held_out:
        forbidden |= windows(text, n)
    hits = []
    for i, prompt in enumerate(prompts):
        for window in sorted(windows(prompt, n) & forbidden):
            hits.append((i, " ".join(window)))
    return hits


def _conformance_prompts() -> list[str]:
    path = Path(__file__).resolve().parents[1] / "tests" / "conformance" / "agent_prompts.py"
    spec = importlib.util.spec_from_file_location("agent_prompts_held_out", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [p.text for p in module.AGENT_PROMPTS]


def main() -> None:
    prompts = [t for t, _ in agent_prompts()]
    held_out = _conformance_prompts()
    hits = shared_windows(prompts, held_out)
    print(f"{len(prompts)} prompts, {len(held_out)} held-out conformance prompts, "
          f"{len(hits)} shared 8-word windows")
    for i, window in hits:
        print(f"  prompt {i}: {window!r}")
    sys.exit(1 if hits else 0)


if __name__ == "__main__":
    main()

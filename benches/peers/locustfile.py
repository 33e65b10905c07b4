"""Locust 2.x peer of `ticketsim load`: the same seven requests per lifecycle as
ticketsim's classic playbook (create, assign, agent reply, customer reply as a
note, agent reply, resolve, close), FastHttpUser, no waits, no durability.

Run by run.sh against one `ticketsim emulator`; the emulator's API key comes
from FRESHDESK_API_KEY. Lifecycles completed = successful "close" requests.
"""
import os
import random

from locust import FastHttpUser, constant, task

KEY = os.environ.get("FRESHDESK_API_KEY", "emulator-key")
BODY = "<p>Hello, this is a load-test message of about the size ticketsim sends.</p>" * 4


class Lifecycle(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.client.auth = (KEY, "X")
        contacts = self.client.get("/api/v2/contacts?per_page=100", auth=(KEY, "X"), name="setup").json()
        agents = self.client.get("/api/v2/agents?per_page=100", auth=(KEY, "X"), name="setup").json()
        self.contacts = [c["id"] for c in contacts]
        self.agents = [a["id"] for a in agents]

    @task
    def lifecycle(self):
        auth = (KEY, "X")
        contact, agent = random.choice(self.contacts), random.choice(self.agents)
        create = {"subject": "Order has not arrived", "description": BODY, "requester_id": contact,
                  "status": 2, "priority": 2, "source": 2, "tags": ["ticketsim", "locust"]}
        with self.client.post("/api/v2/tickets", json=create, auth=auth, name="create", catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"create: {r.status_code}")
                return
            tid = r.json()["id"]
        t = f"/api/v2/tickets/{tid}"
        steps = [
            ("put", t, {"responder_id": agent}, "assign"),
            ("post", t + "/reply", {"body": BODY, "user_id": agent}, "agent reply"),
            ("post", t + "/notes", {"body": BODY, "user_id": contact, "incoming": True, "private": False}, "customer reply"),
            ("post", t + "/reply", {"body": BODY, "user_id": agent}, "agent reply"),
            ("put", t, {"status": 4}, "resolve"),
            ("put", t, {"status": 5}, "close"),
        ]
        for method, path, body, name in steps:
            r = getattr(self.client, method)(path, json=body, auth=auth, name=name)
            if not r.ok:
                return

"""Client of RREDCoT's credit endpoint (``POST /v1/credit`` of ``./rredcot serve``).

Standard library only (``urllib.request``, ``json``), Python 3.8+: copy this file next to your
training loop. For one GRPO group (a prompt, its G completions and their verified rewards) the
server returns, per completion, its segment boundaries (token and character offsets), the state
values v_0..v_K, the redistributed rewards r_k = v_k - v_{k-1} and one advantage per token,
computed by the same code as the RREDCoT credit job.

    from rredcot_credit import CreditClient
    client = CreditClient("http://127.0.0.1:8000")
    advantages = client.token_advantages(prompt, completion_ids, rewards,
                                         task_family="arith", reference_answer="37")

As a command, for a group in a JSON file (the request body, see ``CreditClient.credit``):

    python3 rredcot_credit.py --url http://127.0.0.1:8000 group.json
    python3 rredcot_credit.py --url http://127.0.0.1:8000 --advantages group.json
"""

import argparse
import json
import sys
import urllib.error
import urllib.request

__all__ = ["CreditClient", "CreditRequestError", "TraceRefusedError"]


class CreditRequestError(Exception):
    """The server refused the request (HTTP 400, 405 or 413): ``field`` names what to fix."""

    def __init__(self, status, field, reason, message):
        super().__init__("HTTP %d, %s (%s): %s" % (status, field, reason, message))
        self.status = status
        self.field = field
        self.reason = reason
        self.message = message


class TraceRefusedError(Exception):
    """A trace got no credit: the step that refused it and why (the credit job's dead-letter reason)."""

    def __init__(self, index, step, reason, message):
        super().__init__("trace %d refused by %s (%s): %s" % (index, step, reason, message))
        self.index = index
        self.step = step
        self.reason = reason
        self.message = message


def _plain(value):
    """Lists of ints or floats from tensors and arrays (anything with ``tolist``), as they are."""
    return value.tolist() if hasattr(value, "tolist") else value


class CreditClient:
    """Calls ``POST /v1/credit`` on a ``rredcot serve`` at ``url`` (by default on loopback)."""

    def __init__(self, url="http://127.0.0.1:8000", timeout=600.0):
        self.url = url.rstrip("/") + "/v1/credit"
        self.timeout = timeout

    def credit(
        self,
        prompt,
        traces,
        rewards,
        task_family,
        reference_answer,
        reference_solution=None,
        group_id=None,
        **options
    ):
        """The credit of one group, as the server's JSON response (a dict).

        ``prompt``: text (or token ids). ``traces``: one per completion, each its text, its token
        ids in the served model's tokenizer (no padding; an end-of-sequence token may stay), or a
        dict with ``text`` and/or ``token_ids`` and optional ``entropies``. ``rewards``: the
        verified reward of each trace, which the task family must confirm. ``options``: the credit
        job's options in snake case, e.g. ``credit="rredcot"`` (the default preset),
        ``credit_method="rredcot-rudder"``, ``value_estimator="answer"``,
        ``segmentation="hybrid"``, ``target_segments=4``.

        Each element of ``response["traces"]`` has ``token_ids``, ``text``, ``token_boundaries``,
        ``char_boundaries``, ``boundary_values``, ``segment_rewards`` and ``token_advantages``, or
        ``error`` (``step``, ``reason``, ``message``) when a step refused the trace.
        """
        body = {
            "prompt": _plain(prompt),
            "traces": [_plain(trace) for trace in traces],
            "rewards": [float(reward) for reward in _plain(rewards)],
            "task_family": task_family,
            "reference_answer": reference_answer,
        }
        if reference_solution is not None:
            body["reference_solution"] = reference_solution
        if group_id is not None:
            body["group_id"] = group_id
        if options:
            body["options"] = options
        return self.send(body)

    def token_advantages(self, *args, **kwargs):
        """``credit``'s per-token advantages: one list per trace, as long as its token ids.

        Raises ``TraceRefusedError`` for the first trace that got no credit.
        """
        response = self.credit(*args, **kwargs)
        advantages = []
        for trace in response["traces"]:
            if "error" in trace:
                error = trace["error"]
                raise TraceRefusedError(
                    trace["index"], error["step"], error["reason"], error["message"]
                )
            advantages.append(trace["token_advantages"])
        return advantages

    def send(self, body):
        """Posts a request body (a dict) as it is and returns the response (a dict)."""
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            try:
                error = json.loads(text)["error"]
            except (ValueError, KeyError, TypeError):
                raise CreditRequestError(e.code, "", "", text) from None
            raise CreditRequestError(
                e.code, error.get("field", ""), error.get("reason", ""), error.get("message", "")
            ) from None


def main(argv=None):
    parser = argparse.ArgumentParser(description="Credit one group with a rredcot serve.")
    parser.add_argument("group", help="JSON file: the request body (prompt, traces, rewards, ...)")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server's base URL")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait")
    parser.add_argument(
        "--advantages",
        action="store_true",
        help="print only the per-token advantages (token_advantages), one list per trace",
    )
    args = parser.parse_args(argv)
    with open(args.group, encoding="utf-8") as f:
        group = json.load(f)
    options = group.pop("options", None) or {}
    client = CreditClient(args.url, args.timeout)
    call = client.token_advantages if args.advantages else client.credit
    try:
        response = call(**group, **options)
    except TraceRefusedError as e:
        sys.stderr.write(str(e) + "\n")
        return 3
    except CreditRequestError as e:
        json.dump(
            {"status": e.status, "field": e.field, "reason": e.reason, "message": e.message},
            sys.stderr,
        )
        sys.stderr.write("\n")
        return 2
    json.dump(response, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

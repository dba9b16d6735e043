"""The rules of the notifications service. Pure: no I/O, no clock, no framework, no kit.

- emails: which e-mail each event causes, to whom, with what facts (R33, R34);
- sending: which pending e-mail goes first and when a failed one is tried again (R34);
- access: who may read which part of the delivery log (R2, R6, R17);
- consistency: whether an event agrees with what is known of its subscription (issue 11, item 1).
"""

"""`make bench`: placeholder until the sending-path benchmark lands (issue 3). Says so, exits 0."""

print(
    "make bench: no benchmark yet. The end-to-end gift-alert benchmark (records N gifts, drains the worker"
    " to a local SMTP sink, compares with plain smtplib) arrives with the sending path;"
    " see docs/benchmarks.md."
)

// Documents tests: being written (issue 3).
import Testing

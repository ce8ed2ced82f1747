# Fails unless README contains the text of EXAMPLE verbatim (inside its ```cpp block).
file(READ "${README}" readme)
file(READ "${EXAMPLE}" example)
string(FIND "${readme}" "${example}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "README.md does not contain ${EXAMPLE} verbatim; copy the file into it")
endif()

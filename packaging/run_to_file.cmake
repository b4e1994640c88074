# cmake -DCOMMAND="program;args" -DOUTPUT=file -P run_to_file.cmake: runs COMMAND with its
# standard output in OUTPUT (add_custom_command has no portable redirection), and fails when
# the command fails or writes nothing.
get_filename_component(_dir ${OUTPUT} DIRECTORY)
file(MAKE_DIRECTORY ${_dir})
execute_process(COMMAND ${COMMAND} OUTPUT_FILE ${OUTPUT}.tmp RESULT_VARIABLE _rc)
file(SIZE ${OUTPUT}.tmp _size)
if(NOT _rc EQUAL 0 OR _size EQUAL 0)
  message(FATAL_ERROR "${COMMAND} failed (exit ${_rc}) or wrote nothing; see above")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})

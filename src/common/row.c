#include "common/row.h"

#include <stdlib.h>

void
row_table_shape_free(TableShape *shape)
{
	for (int i = 0; i < shape->ncolumns; i++)
	{
		free(shape->columns[i].name);
		free(shape->columns[i].type_name);
	}
	free(shape->columns);
	shape->columns = NULL;
	shape->ncolumns = 0;
}
